export { LlmModule } from './llm.module';
export { LLM_CLIENT, type LlmClient, type LlmRequest, type LlmAnswer, type LlmMessage, type LlmStreamResult } from './llm-client';
export { LlmError } from './domain/errors';
export {
  messagesInputBound,
  FRAMING_TOKENS_PER_REQUEST,
  FRAMING_TOKENS_PER_MESSAGE,
  FRAMING_TOKENS_PER_BLOCK,
  TOOL_USE_PROMPT_TOKENS,
  type MessagesInput,
  type InputBound,
} from './domain/input-bound';
export { interruptedUsage } from './domain/interrupted-usage';
