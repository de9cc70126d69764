import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ConfigError, loadConfig, type AppConfig } from '@loomworks/config';
import { Migrator, withoutPassword } from '@loomworks/database';
import { PersonsService } from '@loomworks/persons';
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
  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'EADDRINUSE') fail(`port ${config.port} is already in use (is another server running?): stop it, or start with PORT=<another port>`);
    if (code === 'EACCES') fail(`not allowed to listen on port ${config.port}: choose PORT above 1023`);
    fail(`could not listen on ${config.host}:${config.port}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  // One line per fact; everything else is in the JSON log.
  const hasAdmin = await app.get(PersonsService).hasLiveAdmin();
  const sharedRole = app.get(Migrator).sharedRole;
  process.stdout.write(startupLines(config, port, hasAdmin, sharedRole).map((line) => `loomworks: ${line}\n`).join(''));
}

/**
 * What a person starting the server needs to know: where it listens, its docs, its database (and
 * whether one role both runs the API and owns the tables, i.e. no least privilege), its mail, and
 * on the first run how to make the first admin (nobody can sign in before that).
 */
export function startupLines(config: AppConfig, port: number, hasAdmin: boolean, sharedRole: string | null = null): string[] {
  const origin = `http://localhost:${port}`;
  // The tool prints links to this server: on another port it needs to be told which.
  const samePort = port === 3000 ? '' : `PORT=${port} `;
  return [
    `listening on ${origin}`,
    `API docs at ${origin}/docs`,
    `database ${withoutPassword(config.databaseUrl)}`,
    ...(sharedRole === null ? [] : [`database role ${sharedRole} runs both the API and its migrations`]),
    ...(config.databaseReplicaUrl ? [`read replica ${withoutPassword(config.databaseReplicaUrl)}`] : []),
    config.mail.smtpUrl
      ? `mail on: ${withoutPassword(config.mail.smtpUrl)}, from ${config.mail.from}`
      : 'mail off (no SMTP_URL): claim and recovery links are shown instead of mailed',
    ...(hasAdmin ? [] : [`no admin yet: in another terminal run \`${samePort}npm run admin:bootstrap\` and open the signup link it prints`]),
  ];
}

if (require.main === module) void main();
