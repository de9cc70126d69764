import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { isCompleteUsage, type Usage } from '@loomworks/common';
import { APP_CONFIG, type AppConfig } from '@loomworks/config';
import { interruptedUsage, LlmError, messagesInputBound, MessagesForwarder, usageOf, type ProviderUsage, type UpstreamAnswer } from '@loomworks/llm';
import { SystemConfigService } from '@loomworks/system-config';
import { ApiKeysService } from './api-keys.service';
import { InvalidApiKeyError, InvalidMessagesRequestError, NoSystemKeyError, ProviderFailedError } from './domain/errors';
import { parseMessagesRequest, type MessagesRequest } from './domain/messages-request';
import { StreamUsageReader } from './domain/stream-usage';
import { RequestCredit, type OpenRequest } from './request-credit';

/** Where the provider's answer goes (the HTTP reply): whole, or as a stream relayed piece by piece. */
export interface RelaySink {
  whole(status: number, headers: Record<string, string | string[]>, body: Buffer): void;
  open(status: number, headers: Record<string, string | string[]>): void;
  /** a piece of the stream; dropped once the client has gone (the stream is still read to its end) */
  write(chunk: Buffer): void;
  close(): void;
}

export interface MessagesCommand {
  /** the API key as presented (shaped like one: the guard checked) */
  presentedKey: string;
  /** the request's body as sent, unchecked */
  body: unknown;
  anthropicVersion?: string;
}

/** Connection-level and rewritten headers: the rest of the provider's headers are relayed as they came. */
const NOT_RELAYED = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'date', 'server', 'set-cookie', 'proxy-connection', 'upgrade', 'te', 'trailer']);

function relayedHeaders(headers: IncomingHttpHeaders, callId: string): Record<string, string | string[]> {
  const relayed: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined && !NOT_RELAYED.has(name)) relayed[name] = value;
  relayed['loomworks-request-id'] = callId;
  return relayed;
}

async function readAll(body: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * POST /v1/messages (DESIGN.md "The Messages API"): the request's proven bound held before the
 * provider is called, the provider's answer relayed unchanged, the hold settled once at the end —
 * at the usage the provider reported, or for a broken stream within the bound — or released
 * when the provider failed or refused (nothing charged).
 */
@Injectable()
export class MessagesService {
  constructor(
    private readonly credit: RequestCredit,
    private readonly forwarder: MessagesForwarder,
    private readonly settings: SystemConfigService,
    private readonly keys: ApiKeysService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectPinoLogger('gateway') private readonly logger: PinoLogger,
  ) {}

  async relay(command: MessagesCommand, sink: RelaySink): Promise<void> {
    const { request, inputTokens } = await this.checked(command);
    // The system key (when it is a setting, not the environment) is read beside the hold's
    // statement, not before it: the caller's key is refused (401, 403) before a missing one is (503).
    const systemKey = this.config.anthropic.apiKey ? Promise.resolve(this.config.anthropic.apiKey) : this.settings.get('anthropic_api_key');
    systemKey.catch(() => undefined); // awaited below once the hold is placed; a refusal must not leave it unhandled
    // The key is checked in the hold's statement: one round trip before the provider is called.
    const open = await this.credit.place({ presentedKey: command.presentedKey, model: request.model, maxTokens: request.maxTokens, inputTokens });
    let apiKey: string | undefined;
    try {
      apiKey = await systemKey;
    } finally {
      if (!apiKey) await this.credit.abandon(open);
    }
    if (!apiKey) throw new NoSystemKeyError();

    let upstream: UpstreamAnswer;
    try {
      upstream = await this.forwarder.forward({ apiKey, body: JSON.stringify(request.body), anthropicVersion: command.anthropicVersion });
    } catch (error) {
      throw await this.providerFailed(open, error instanceof LlmError ? error.reason : undefined);
    }
    if (upstream.status >= 200 && upstream.status < 300 && request.stream) return this.relayStream(open, upstream, sink);
    let body: Buffer;
    try {
      body = await readAll(upstream.body);
    } catch {
      throw await this.providerFailed(open, 'answer broken off');
    }
    const headers = relayedHeaders(upstream.headers, open.callId);
    if (upstream.status >= 400 && upstream.status < 500) {
      // The provider refused the request as sent: its answer goes back unchanged, nothing is charged.
      await this.credit.release(open);
      return sink.whole(upstream.status, headers, body);
    }
    const usage = upstream.status < 300 ? this.wholeUsage(body) : null;
    if (!usage) {
      // A provider error, or an answer without usage (it can't be charged): nothing kept, nothing charged.
      throw await this.providerFailed(open, upstream.status < 300 ? 'answer without usage' : `status ${upstream.status}`);
    }
    const settled = await this.credit.settle(open, usage);
    sink.whole(upstream.status, {
      ...headers,
      'loomworks-credit-asset': settled.asset,
      'loomworks-credit-held': settled.held.toString(),
      'loomworks-credit-charged': settled.charged.toString(),
      'loomworks-credit-balance': settled.balanceAfter.toString(),
    }, body);
  }

  /**
   * The body checked and its input bounded; a body refused (400) from an unknown key is refused
   * as the key (401), as Anthropic answers: the key is checked first. Valid bodies pay no read
   * for it — their key is checked in the hold's statement.
   */
  private async checked(command: MessagesCommand): Promise<{ request: MessagesRequest; inputTokens: number }> {
    try {
      const request = parseMessagesRequest(command.body);
      const input = messagesInputBound(request.body as { messages: { content: unknown }[] });
      if ('refused' in input) throw new InvalidMessagesRequestError(input.refused);
      return { request, inputTokens: input.inputTokens };
    } catch (error) {
      if (error instanceof InvalidMessagesRequestError && !(await this.keys.isLive(command.presentedKey))) throw new InvalidApiKeyError();
      throw error;
    }
  }

  /**
   * Relays the stream as it arrives and reads it to its end even when the client has gone (the
   * provider bills the whole answer); then settles once: the reported usage, or for a stream that
   * broke before its final counts, the input it announced and the bytes delivered, within the bound.
   */
  private async relayStream(open: OpenRequest, upstream: UpstreamAnswer, sink: RelaySink): Promise<void> {
    sink.open(upstream.status, relayedHeaders(upstream.headers, open.callId));
    const reader = new StreamUsageReader();
    try {
      for await (const chunk of upstream.body) {
        sink.write(chunk as Buffer);
        reader.push(chunk as Buffer);
      }
    } catch {
      // broken or timed out mid-stream: what arrived is what there is
    }
    // Settled before the answer ends: a client's next call (SDKs make them one after another) then
    // finds its person's row free, instead of queueing its placement behind this settlement's commit
    // (a contended placement: a commit without the flush and a confirmation round trip more).
    // Every event has been relayed already; only the end of the response waits.
    const outcome = reader.outcome();
    try {
      if (outcome.status === 'ok') await this.credit.settle(open, outcome.usage);
      else if (outcome.reported) await this.credit.settle(open, interruptedUsage(outcome.reported, outcome.delivered, open.bound), 'interrupted');
      else await this.credit.release(open, 'interrupted');
    } catch (error) {
      // The events are sent; an unsettled hold expires (hold_ttl_seconds) and nothing is charged twice.
      this.logger.error({ err: error, callId: open.callId }, 'settling a streamed Messages API call failed');
    } finally {
      sink.close();
    }
  }

  /**
   * The hold released and the cause logged: the client's 502 names none (it could act on none),
   * so the log is where an operator finds whether the provider was unreachable, slow or broken.
   */
  private async providerFailed(open: OpenRequest, reason: string | undefined): Promise<ProviderFailedError> {
    this.logger.warn({ callId: open.callId, reason: reason ?? 'unknown' }, 'the provider failed: the hold released, nothing charged');
    await this.credit.release(open);
    return new ProviderFailedError();
  }

  private wholeUsage(body: Buffer): Usage | null {
    try {
      const usage = usageOf((JSON.parse(body.toString('utf8')) as { usage?: ProviderUsage }).usage);
      return isCompleteUsage(usage) ? usage : null;
    } catch {
      return null;
    }
  }
}
