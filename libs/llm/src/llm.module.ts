import { Module } from '@nestjs/common';
import { OutboxModule } from '@loomworks/outbox';
import { AnthropicLlmClient } from './anthropic-llm-client';
import { LLM_CLIENT } from './llm-client';
import { LlmCallLog } from './llm-calls.service';
import { LlmCallsRepository } from './persistence/llm-calls.repository';
import { MessagesForwarder } from './messages-forwarder';

/**
 * Provider clients behind a token (tests override LLM_CLIENT or point the real one at a fake
 * server) and the call log every caller of the provider writes to.
 */
@Module({
  imports: [OutboxModule],
  providers: [{ provide: LLM_CLIENT, useClass: AnthropicLlmClient }, LlmCallsRepository, LlmCallLog, MessagesForwarder],
  exports: [LLM_CLIENT, LlmCallLog, MessagesForwarder],
})
export class LlmModule {}
