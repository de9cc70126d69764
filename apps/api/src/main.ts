import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ConfigError, loadConfig, type AppConfig } from '@loomworks/config';
import { AppModule } from './app.module';
import { configureApp, createFastifyAdapter } from './bootstrap';

function fail(message: string): never {
  process.stderr.write(`loomworks: ${message}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) fail(`invalid configuration: ${error.message}`);
    throw error;
  }

  let app: NestFastifyApplication;
  try {
    app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), createFastifyAdapter(config), {
      // Quiet until pino takes over in configureApp; a start-up failure is reported as one line below.
      logger: false,
      abortOnError: false,
    });
  } catch (error) {
    fail(`could not start: ${error instanceof Error ? error.message : String(error)}`);
  }
  await configureApp(app);
  // Graceful shutdown: stop accepting, finish in-flight requests, close the pool, exit 0.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      app.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  }
  await app.listen({ port: config.port, host: config.host });
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  process.stdout.write(`loomworks: listening on http://localhost:${port} (API docs at http://localhost:${port}/docs)\n`);
}

void main();
