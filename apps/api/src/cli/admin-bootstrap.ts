/**
 * `npm run admin:bootstrap`: prints a one-time admin signup token (valid 24 h, stored hashed),
 * so the first admin can be created without touching the database.
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AdminTokensService } from '@loomworks/auth';
import { ConfigError, loadConfig } from '@loomworks/config';
import { AppModule } from '../app.module';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig({ ...process.env, LOG_LEVEL: 'silent' });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`loomworks: invalid configuration: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(config), { logger: false, abortOnError: false });
  const { adminToken, expiresAt } = await app.get(AdminTokensService).create();
  await app.close();
  process.stdout.write(
    [
      'One-time admin signup token (shown once; valid until ' + expiresAt.toISOString() + '):',
      '',
      `  ${adminToken}`,
      '',
      'Sign up with it in a browser:',
      `  ${config.publicOrigin}/signup?adminToken=${adminToken}`,
      'or without one: npm run dev:signup -- --email you@example.com --admin-token <token> (README.md).',
      '',
    ].join('\n'),
  );
}

void main();
