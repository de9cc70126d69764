import type { DataSourceOptions, MigrationInterface } from 'typeorm';

/** A migration class, as the composition root lists them. */
export type MigrationClass = new () => MigrationInterface;

/**
 * The one DataSource configuration, shared by the app (DatabaseModule) and the TypeORM CLI
 * (ormconfig.ts). Migrations are passed as classes by the composition root (not a glob), so the
 * same list works compiled and under jest, and this library never imports upward.
 */
export function dataSourceOptions(databaseUrl: string, migrations: MigrationClass[]): DataSourceOptions {
  return {
    type: 'postgres',
    url: databaseUrl,
    migrations,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: false,
    extra: {
      max: 20,
      // Fail fast when the database is unreachable, so /health answers 503 instead of hanging.
      connectionTimeoutMillis: 3000,
      application_name: 'loomworks',
    },
  };
}
