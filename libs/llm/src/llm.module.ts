import { Module } from '@nestjs/common';
import { AnthropicLlmClient } from './anthropic-llm-client';
import { LLM_CLIENT } from './llm-client';

/** Provider clients behind a token (DESIGN.md "The llm module"); tests override LLM_CLIENT or point the real one at a fake server. */
@Module({
  providers: [{ provide: LLM_CLIENT, useClass: AnthropicLlmClient }],
  exports: [LLM_CLIENT],
})
export class LlmModule {}
