export { GatewayModule } from './gateway.module';
export { GATEWAY_FUNCTIONS_DIR } from './persistence/sql';
export { ApiKeysService, type CreateApiKeyCommand } from './api-keys.service';
export { LIMIT_PERIODS, type ApiKey, type ApiKeyCaller, type Limit, type LimitPeriod } from './domain/api-key';
export * from './domain/errors';
export { anthropicError, type AnthropicErrorBody } from './http/anthropic-errors';
export { apiKeyView, ApiKeyViewSchema, ApiKeyListSchema, serviceKeyView, ServiceKeyViewSchema, ServiceKeyListSchema, CreatedServiceKeySchema, AuthorizationViewSchema } from './views';
export { ServiceKeysService } from './service-keys.service';
export type { ServiceKey } from './domain/service-key';
