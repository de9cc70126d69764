export { LlmModule } from './llm.module';
export { LLM_FUNCTIONS_DIR } from './persistence/sql';
export { LLM_CLIENT, type LlmClient, type LlmRequest, type LlmAnswer, type LlmMessage, type LlmStreamResult } from './llm-client';
export { LlmError } from './domain/errors';
export { MessagesForwarder, type ForwardedRequest, type UpstreamAnswer } from './messages-forwarder';
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
export { usageOf, type ProviderUsage } from './domain/provider-usage';
export { LlmCallLog } from './llm-calls.service';
export {
  LLM_CALL_STATUSES,
  type LlmCall,
  type LlmCallRecord,
  type LlmCallFilter,
  type LlmCallSource,
  type LlmCallStatus,
  type LlmKeySource,
  type UsageGroup,
  type UsageGroupBy,
  type UsageQuery,
} from './domain/llm-call';
export {
  LlmCallViewSchema,
  LlmCallPageSchema,
  StaffLlmCallViewSchema,
  StaffLlmCallPageSchema,
  UsageGroupSchema,
  UsageReportSchema,
  StaffUsageGroupSchema,
  StaffUsageReportSchema,
  llmCallView,
  staffLlmCallView,
  usageGroupView,
  staffUsageGroupView,
} from './views';
export { MemberUsageQueryDto, StaffUsageQueryDto, StaffLlmCallQueryDto, timeRange } from './queries';
