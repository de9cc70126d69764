export { OrchestrationModule } from './orchestration.module';
export { ORCHESTRATION_FUNCTIONS_DIR } from './persistence/sql';
export { ConverseService, type ConverseResponse, type ConverseStatus } from './converse.service';
export { NoLlmKeyError, ConversationNotFoundError } from './domain/errors';
export { parseIntent, INTENTS, type Intent } from './domain/routing';
