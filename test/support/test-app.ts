import type { Type } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test, type TestingModuleBuilder } from '@nestjs/testing';
import type { DestinationStream } from 'pino';
import { loadConfig, type AppConfig, type Env } from '@loomworks/config';
import { AppModule } from '../../apps/api/src/app.module';
import { configureApp, createFastifyAdapter } from '../../apps/api/src/bootstrap';
import { asRuntimeRole } from './test-database';

/**
 * A validated config for tests: the test database (`databaseUrl` as its owner, who migrates; the
 * API connects as the runtime role, as in production), the run's secret key, quiet logs.
 */
export function testConfig(databaseUrl: string, env: Env = {}): AppConfig {
  return loadConfig({
    DATABASE_URL: asRuntimeRole(databaseUrl),
    DATABASE_MIGRATION_URL: databaseUrl,
    LOOMWORKS_SECRET_KEY: process.env.LOOMWORKS_SECRET_KEY,
    LOG_LEVEL: 'silent',
    PORT: '0',
    PUBLIC_ORIGIN: 'http://localhost:3000',
    // Every suite calls from 127.0.0.1; the one that tests this limit sets its own.
    AUTH_STARTS_PER_MINUTE: '1000000',
    // Scrapes before and after an action must differ; the suite that tests the cache sets its own.
    METRICS_CACHE_MS: '0',
    ...env,
  });
}

export interface TestAppOptions {
  env?: Env;
  logStream?: DestinationStream;
  /** test-only controllers mounted beside the app's own */
  controllers?: Type[];
  /** provider overrides, e.g. `(b) => b.overrideProvider(CLOCK).useValue(clock)` */
  override?: (builder: TestingModuleBuilder) => TestingModuleBuilder;
}

/** The real AppModule on Fastify, initialised but not listening (supertest drives it). */
export async function createTestApp(databaseUrl: string, options: TestAppOptions = {}): Promise<NestFastifyApplication> {
  const config = testConfig(databaseUrl, options.env);
  let builder = Test.createTestingModule({
    imports: [AppModule.forRoot(config, { logStream: options.logStream })],
    controllers: options.controllers ?? [],
  });
  if (options.override) builder = options.override(builder);
  const moduleRef = await builder.compile();
  const app = await configureApp(moduleRef.createNestApplication<NestFastifyApplication>(createFastifyAdapter(config)));
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}
