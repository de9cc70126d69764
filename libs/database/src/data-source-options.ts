import type { DataSource, DataSourceOptions, MigrationInterface } from 'typeorm';
import { parseDatabaseUrl } from './database-url';
import { PrimaryLocator, primaryClientClass, survivingClientClass } from './primary-client';

/** A migration class, as the composition root lists them. */
export type MigrationClass = new () => MigrationInterface;

export interface ConnectionOptions {
  /** `transaction` behind a pooler in transaction mode: no named prepared statements */
  poolMode?: 'session' | 'transaction';
  poolSize?: number;
  applicationName?: string;
}

/** Marks, in a DataSource's options, that its connections can't keep named prepared statements. */
const UNNAMED_STATEMENTS = 'loomworksUnnamedStatements';

/**
 * The one DataSource configuration, shared by the app (DatabaseModule) and the TypeORM CLI
 * (ormconfig.ts). Migrations are passed as classes by the composition root (not a glob), so the
 * same list works compiled and under jest, and this library never imports upward.
 *
 * A URL naming several hosts gets a pool whose connections go to the one that accepts writes
 * (primary-client.ts): pg 8 parses only one host and has no `target_session_attrs`.
 */
export function dataSourceOptions(databaseUrl: string, migrations: MigrationClass[], options: ConnectionOptions = {}): DataSourceOptions {
  const { hosts, url } = parseDatabaseUrl(databaseUrl);
  const connectionTimeoutMillis = 3000;
  return {
    type: 'postgres',
    url,
    migrations,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: false,
    extra: {
      max: options.poolSize ?? 20,
      // Fail fast when the database is unreachable, so /health answers 503 instead of hanging.
      connectionTimeoutMillis,
      application_name: options.applicationName ?? 'loomworks',
      Client: survivingClientClass(hosts.length > 1 ? primaryClientClass(new PrimaryLocator(hosts, { connectionString: url, connectionTimeoutMillis })) : undefined),
      ...(options.poolMode === 'transaction' && { [UNNAMED_STATEMENTS]: true }),
    },
  };
}

/** False when the DataSource's connections go through a transaction-mode pooler (see queryPrepared). */
export function keepsNamedStatements(dataSource: DataSource): boolean {
  const extra = (dataSource.options as { extra?: Record<string, unknown> }).extra;
  return extra?.[UNNAMED_STATEMENTS] !== true;
}
