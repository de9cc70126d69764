import { setTimeout as sleep } from 'node:timers/promises';
import Anthropic, { APIError } from '@anthropic-ai/sdk';
import { Inject, Injectable } from '@nestjs/common';
import { isCompleteUsage, type Usage } from '@loomworks/common';
import { APP_CONFIG, type AppConfig } from '@loomworks/config';
import { LlmError } from './domain/errors';
import { usageOf, type ProviderUsage } from './domain/provider-usage';
import type { LlmAnswer, LlmClient, LlmRequest, LlmStreamResult } from './llm-client';

/** Statuses worth another attempt (the SDK's own list): timeouts, lock conflicts, rate limits, server errors. */
const RETRYABLE_STATUS = (status: number) => status === 408 || status === 409 || status === 429 || status >= 500;
const FIRST_BACKOFF_MS = 500;

/**
 * The production LlmClient: Anthropic's SDK with a configurable base URL, and every wait capped
 * by our settings rather than the SDK's or the provider's. The SDK retries nothing (it would sleep
 * for whatever Retry-After the provider sends); this client retries itself, at most `maxRetries`
 * times, pausing the provider's Retry-After or its back-off but never more than `maxRetryWaitMs`,
 * and each attempt — a stream's body included — is aborted after `timeoutMs`. So a call never
 * outlasts libs/config's worstCaseCallMs, which sizes hold_ttl_seconds and the idempotency window.
 */
@Injectable()
export class AnthropicLlmClient implements LlmClient {
  private readonly clients = new Map<string, Anthropic>();

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  private client(apiKey: string): Anthropic {
    let client = this.clients.get(apiKey);
    if (!client) {
      const { baseUrl, timeoutMs } = this.config.anthropic;
      client = new Anthropic({ apiKey, baseURL: baseUrl, timeout: timeoutMs, maxRetries: 0 });
      // Keys are few (system, operators, persons); bound the cache anyway.
      if (this.clients.size >= 1000) this.clients.clear();
      this.clients.set(apiKey, client);
    }
    return client;
  }

  private params(request: LlmRequest) {
    return { model: request.model, system: request.system, max_tokens: request.maxTokens, messages: request.messages };
  }

  async complete(request: LlmRequest): Promise<LlmAnswer> {
    const message = await this.attempts((signal) => this.client(request.apiKey).messages.create(this.params(request), { signal }));
    const text = (message.content ?? []).map((block) => (block.type === 'text' ? block.text : '')).join('');
    // An answer without its usage can't be charged: fail closed (nothing kept, the hold released).
    const usage = usageOf(message.usage as ProviderUsage | undefined);
    if (!isCompleteUsage(usage)) throw new LlmError();
    return { text, usage };
  }

  async stream(request: LlmRequest, onText: (text: string) => void): Promise<LlmStreamResult> {
    // Retries happen only until the stream has started (message_start): after that the answer is
    // under way and a break is an interruption, never a second call.
    const { events, first } = await this.attempts(async (signal) => {
      const events = (await this.client(request.apiKey).messages.create({ ...this.params(request), stream: true }, { signal }))[Symbol.asyncIterator]();
      const first = await events.next();
      if (first.done || first.value.type !== 'message_start') throw new LlmError();
      return { events, first: first.value };
    });
    let reported: Partial<Usage> = usageOf(first.message.usage as ProviderUsage);
    let text = '';
    let finished = false;
    let finalUsage = false;
    try {
      for (let next = await events.next(); !next.done; next = await events.next()) {
        const event = next.value;
        if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') {
          text += event.delta.text;
          onText(event.delta.text);
        } else if (event.type === 'message_delta') {
          // The final counts (a provider may omit the block); fields it leaves null keep message_start's.
          const delta = event.usage as ProviderUsage | undefined;
          reported = {
            input: delta?.input_tokens ?? reported.input,
            output: delta?.output_tokens ?? reported.output,
            cacheRead: delta?.cache_read_input_tokens ?? reported.cacheRead,
            cacheWrite: delta?.cache_creation_input_tokens ?? reported.cacheWrite,
          };
          finalUsage = typeof delta?.output_tokens === 'number';
        } else if (event.type === 'message_stop') {
          finished = true;
        }
      }
    } catch {
      // broken, errored or timed out (the attempt's signal) mid-stream: what arrived is what there is
    }
    if (finished && finalUsage && isCompleteUsage(reported)) return { status: 'ok', text, usage: reported };
    const start = usageOf(first.message.usage as ProviderUsage);
    return { status: 'interrupted', text, reported: isCompleteUsage(start) ? start : null };
  }

  /**
   * Runs `attempt` until it succeeds, at most 1 + maxRetries times, each under its own timeout
   * signal; retries only what may succeed later, after the capped pause. Failures end as LlmError.
   */
  private async attempts<T>(attempt: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const { timeoutMs, maxRetries, maxRetryWaitMs } = this.config.anthropic;
    for (let retry = 0; ; retry++) {
      try {
        return await attempt(AbortSignal.timeout(timeoutMs));
      } catch (error) {
        if (retry >= maxRetries || !retryable(error)) throw new LlmError();
        await sleep(Math.min(retryWaitMs(error, retry), maxRetryWaitMs));
      }
    }
  }
}

/** Worth another attempt: a retryable status (or the provider says so), or no answer at all (connection failed, timed out, cut off). */
function retryable(error: unknown): boolean {
  if (error instanceof LlmError) return false;
  if (!(error instanceof APIError) || error.status === undefined) return true;
  const says = error.headers?.get('x-should-retry');
  return says === 'true' || (says !== 'false' && RETRYABLE_STATUS(error.status));
}

/** The pause before retry number `retry` (0-based): what the provider asked for, else exponential back-off (the caller caps it). */
function retryWaitMs(error: unknown, retry: number): number {
  return (error instanceof APIError ? askedWaitMs(error.headers) : undefined) ?? FIRST_BACKOFF_MS * 2 ** retry;
}

/** Retry-After-Ms, or Retry-After in seconds or as a date. */
function askedWaitMs(headers: Headers | undefined): number | undefined {
  const ms = Number.parseFloat(headers?.get('retry-after-ms') ?? '');
  if (ms >= 0) return ms;
  const raw = headers?.get('retry-after');
  if (!raw) return undefined;
  const seconds = Number.parseFloat(raw);
  if (!Number.isNaN(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}
