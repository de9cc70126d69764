import Anthropic from '@anthropic-ai/sdk';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@loomworks/config';
import { LlmError } from '../domain/errors';
import { isCompleteUsage } from '../domain/usage';
import type { LlmAnswer, LlmClient, LlmRequest } from './llm-client';

/** The production LlmClient: Anthropic's SDK, with bounded timeout and retries and a configurable base URL. */
@Injectable()
export class AnthropicLlmClient implements LlmClient {
  private readonly clients = new Map<string, Anthropic>();

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  private client(apiKey: string): Anthropic {
    let client = this.clients.get(apiKey);
    if (!client) {
      const { baseUrl, timeoutMs, maxRetries } = this.config.anthropic;
      client = new Anthropic({ apiKey, baseURL: baseUrl, timeout: timeoutMs, maxRetries });
      // Keys are few (system, operators, persons); bound the cache anyway.
      if (this.clients.size >= 1000) this.clients.clear();
      this.clients.set(apiKey, client);
    }
    return client;
  }

  async complete(request: LlmRequest): Promise<LlmAnswer> {
    let message: Anthropic.Message;
    try {
      message = await this.client(request.apiKey).messages.create({
        model: request.model,
        system: request.system,
        max_tokens: request.maxTokens,
        messages: request.messages,
      });
    } catch {
      throw new LlmError();
    }
    const text = (message.content ?? []).map((block) => (block.type === 'text' ? block.text : '')).join('');
    // An answer without its usage can't be charged: fail closed (nothing kept, the hold released).
    const u = message.usage as Partial<Anthropic.Usage> | undefined;
    const usage = {
      input: u?.input_tokens,
      output: u?.output_tokens,
      cacheRead: u?.cache_read_input_tokens ?? 0,
      cacheWrite: u?.cache_creation_input_tokens ?? 0,
    };
    if (!isCompleteUsage(usage)) throw new LlmError();
    return { text, usage };
  }
}
