import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { CLOCK, ForbiddenError, isCompleteUsage, type Clock, type Usage } from '@loomworks/common';
import { APP_CONFIG, type AppConfig } from '@loomworks/config';
import { CREDIT_SEAM, LimitReachedError, type CreditSeam, type SettlementResult } from '@loomworks/credit';
import { Transactions } from '@loomworks/database';
import { interruptedUsage, LlmCallLog, messagesInputBound, MessagesForwarder, type LlmCallStatus, type UpstreamAnswer } from '@loomworks/llm';
import { SystemConfigService } from '@loomworks/system-config';
import type { ApiKeyCaller } from './domain/api-key';
import {
  ApiKeyAccountInactiveError,
  InvalidMessagesRequestError,
  ModelNotBoughtError,
  NoSystemKeyError,
  ProviderFailedError,
  RequestNotCoveredError,
} from './domain/errors';
import type { MessagesRequest } from './domain/messages-request';
import { StreamUsageReader, usageOf } from './domain/stream-usage';

/** Where the provider's answer goes (the HTTP reply): whole, or as a stream relayed piece by piece. */
export interface RelaySink {
  whole(status: number, headers: Record<string, string | string[]>, body: Buffer): void;
  open(status: number, headers: Record<string, string | string[]>): void;
  /** a piece of the stream; dropped once the client has gone (the stream is still read to its end) */
  write(chunk: Buffer): void;
  close(): void;
}

export interface MessagesCommand {
  caller: ApiKeyCaller;
  request: MessagesRequest;
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

interface OpenRequest {
  callId: string;
  caller: ApiKeyCaller;
  startedAt: Date;
  model: string;
  hold: { id: string; asset: string; amount: bigint };
  bound: { inputTokens: number; maxTokens: number };
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
    @Inject(CREDIT_SEAM) private readonly credit: CreditSeam,
    private readonly forwarder: MessagesForwarder,
    private readonly settings: SystemConfigService,
    private readonly transactions: Transactions,
    private readonly callLog: LlmCallLog,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectPinoLogger('gateway') private readonly logger: PinoLogger,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async relay(command: MessagesCommand, sink: RelaySink): Promise<void> {
    const { request } = command;
    const input = messagesInputBound(request.body as { messages: { content: unknown }[] });
    if ('refused' in input) throw new InvalidMessagesRequestError(input.refused);
    const apiKey = this.config.anthropic.apiKey ?? (await this.settings.get('anthropic_api_key'));
    if (!apiKey) throw new NoSystemKeyError();
    const open = await this.placeHold(command.caller, request, input.inputTokens);

    let upstream: UpstreamAnswer;
    try {
      upstream = await this.forwarder.forward({ apiKey, body: JSON.stringify(request.body), anthropicVersion: command.anthropicVersion });
    } catch {
      await this.release(open);
      throw new ProviderFailedError();
    }
    if (upstream.status >= 200 && upstream.status < 300 && request.stream) return this.relayStream(open, upstream, sink);
    let body: Buffer;
    try {
      body = await readAll(upstream.body);
    } catch {
      await this.release(open);
      throw new ProviderFailedError();
    }
    const headers = relayedHeaders(upstream.headers, open.callId);
    if (upstream.status >= 400 && upstream.status < 500) {
      // The provider refused the request as sent: its answer goes back unchanged, nothing is charged.
      await this.release(open);
      return sink.whole(upstream.status, headers, body);
    }
    const usage = upstream.status < 300 ? this.wholeUsage(body) : null;
    if (!usage) {
      // A provider error, or an answer without usage (it can't be charged): nothing kept, nothing charged.
      await this.release(open);
      throw new ProviderFailedError();
    }
    const settled = await this.settle(open, usage);
    sink.whole(upstream.status, {
      ...headers,
      'loomworks-credit-asset': settled.asset,
      'loomworks-credit-held': settled.held.toString(),
      'loomworks-credit-charged': settled.charged.toString(),
      'loomworks-credit-balance': settled.balanceAfter.toString(),
    }, body);
  }

  private async placeHold(caller: ApiKeyCaller, request: MessagesRequest, inputTokens: number): Promise<OpenRequest> {
    const callId = randomUUID();
    const placed = await this.credit.placeRequestHold({
      // a key bound to a team draws its pool (within the member's limit); the key's own limit applies either way
      payer: { personId: caller.personId, poolEngagementId: caller.engagementId ?? undefined },
      apiKeyId: caller.apiKeyId,
      requestId: callId,
      model: request.model,
      inputTokens,
      maxTokens: request.maxTokens,
    });
    switch (placed.status) {
      case 'placed':
        return { callId, caller, startedAt: new Date(), model: request.model, hold: placed.hold, bound: { inputTokens, maxTokens: request.maxTokens } };
      case 'model_not_bought':
        throw new ModelNotBoughtError(request.model);
      case 'credit_exhausted':
        throw new RequestNotCoveredError(placed.bound, placed.available);
      case 'limit_reached':
        throw new LimitReachedError(placed.retryAt, this.clock.now());
      case 'not_member':
        throw new ForbiddenError("This key's team no longer counts its person as a member");
      default:
        throw new ApiKeyAccountInactiveError(placed.status === 'account_suspended' ? 'suspended' : 'deleted');
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
    sink.close();
    const outcome = reader.outcome();
    try {
      if (outcome.status === 'ok') await this.settle(open, outcome.usage);
      else if (outcome.reported) await this.settle(open, interruptedUsage(outcome.reported, outcome.delivered, open.bound), 'interrupted');
      else await this.release(open, 'interrupted');
    } catch (error) {
      // The answer is gone already; an unsettled hold expires (hold_ttl_seconds) and nothing is charged twice.
      this.logger.error({ err: error, callId: open.callId }, 'settling a streamed Messages API call failed');
    }
  }

  private wholeUsage(body: Buffer): Usage | null {
    try {
      const usage = usageOf((JSON.parse(body.toString('utf8')) as { usage?: Parameters<typeof usageOf>[0] }).usage);
      return isCompleteUsage(usage) ? usage : null;
    } catch {
      return null;
    }
  }

  /** The charge and the call's row of the call log, in one transaction. */
  private settle(open: OpenRequest, usage: Usage, status: LlmCallStatus = 'ok'): Promise<SettlementResult> {
    return this.transactions.run(async (tx) => {
      const settled = await this.credit.settleHold({ holdId: open.hold.id, turnId: open.callId, stages: [{ stage: 'request', model: open.model, usage }] }, tx);
      await this.callLog.record(this.callRecord(open, status, usage, settled.charged), tx);
      return settled;
    });
  }

  /**
   * Nothing charged: the hold goes back whole; the call is logged failed (or interrupted: a stream
   * that broke before any usage). Logged first: should the release fail, the hold expires as after
   * a crash (nothing charged either way), and whoever sees the hold released finds the call's row.
   */
  private async release(open: OpenRequest, status: LlmCallStatus = 'failed'): Promise<void> {
    await this.callLog.record(this.callRecord(open, status, null, 0n));
    await this.credit.releaseHold(open.hold.id);
  }

  private callRecord(open: OpenRequest, status: LlmCallStatus, usage: Usage | null, charged: bigint) {
    return {
      id: open.callId,
      source: 'messages' as const,
      keySource: 'system' as const,
      payer: open.caller.engagementId ? `engagement:${open.caller.engagementId}` : `person:${open.caller.personId}`,
      personId: open.caller.personId,
      engagementId: open.caller.engagementId,
      apiKeyId: open.caller.apiKeyId,
      model: open.model,
      status,
      usage,
      asset: open.hold.asset,
      holdId: open.hold.id,
      held: open.hold.amount,
      charged,
      startedAt: open.startedAt,
      finishedAt: new Date(),
    };
  }
}
