export { OrchestrationModule } from './orchestration.module';
export { LLM_CLIENT, type LlmClient, type LlmRequest, type LlmAnswer, type LlmMessage } from './llm/llm-client';
export { ConverseService, type ConverseResponse, type ConverseStatus } from './converse.service';
export { NoLlmKeyError, LlmError, ConversationNotFoundError } from './domain/errors';
export { parseIntent, INTENTS, type Intent } from './domain/routing';
export { UsageRecorder, type Usage } from './domain/usage';
