export { loadConfig, secretKeyFromEnv, worstCaseTurnSeconds, ConfigError, type AppConfig, type Env, type LogLevel } from './config';
export { ConfigModule, APP_CONFIG } from './config.module';
