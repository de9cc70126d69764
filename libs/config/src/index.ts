export { loadConfig, secretKeyFromEnv, worstCaseTurnSeconds, worstCaseCallMs, ConfigError, type AppConfig, type DatabasePoolMode, type AnthropicConfig, type Env, type LogLevel } from './config';
export { ConfigModule, APP_CONFIG } from './config.module';
