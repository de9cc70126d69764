import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions, migrateAsOwner, readFunctionFiles } from '@loomworks/database';
import { CREDIT_FUNCTIONS_DIR } from '../../libs/credit/src/persistence/sql';
import { ORCHESTRATION_FUNCTIONS_DIR } from '../../libs/orchestration/src/persistence/sql';
import { GATEWAY_FUNCTIONS_DIR } from '../../libs/gateway/src/persistence/sql';
import { LLM_FUNCTIONS_DIR } from '../../libs/llm/src/persistence/sql';
import { allMigrations } from '../../migrations';

const adminUrl = () => {
  const url = process.env.LW_TEST_ADMIN_URL;
  if (!url) throw new Error('LW_TEST_ADMIN_URL is unset: run tests through jest (globalSetup)');
  return url;
};

export function databaseUrl(name: string): string {
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

/** The role apps under test run as (made by globalSetup; the password is its name). */
export const runtimeRole = () => process.env.LW_TEST_RUNTIME_ROLE ?? 'loomworks_api';

/** `url` (the admin's, who owns the tables) logging in as the runtime role instead. */
export function asRuntimeRole(url: string): string {
  const parsed = new URL(url);
  parsed.username = runtimeRole();
  parsed.password = runtimeRole();
  return parsed.toString();
}

export interface TestDatabase {
  name: string;
  /** as the admin, who owns the tables (migrations, tests' own SQL) */
  url: string;
  /** as the runtime role, as the API connects */
  runtimeUrl: string;
  /** Runs SQL as a separate connection (no app code involved). */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

async function withAdmin<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** The SQL function files the app applies after its migrations (see AppModule). */
export const FUNCTION_DIRS = [CREDIT_FUNCTIONS_DIR, ORCHESTRATION_FUNCTIONS_DIR, LLM_FUNCTIONS_DIR, GATEWAY_FUNCTIONS_DIR];

/**
 * Migrates `name` from empty with the project's migrations, then applies the function files and
 * grants the runtime role its privileges, as a start does.
 */
export async function migrateDatabase(name: string): Promise<void> {
  const dataSource = new DataSource(dataSourceOptions(databaseUrl(name), allMigrations));
  await dataSource.initialize();
  try {
    await migrateAsOwner(dataSource, runtimeRole(), readFunctionFiles(FUNCTION_DIRS));
  } finally {
    await dataSource.destroy();
  }
}

const TEMPLATE_LOCK = 7_243_001;

/**
 * A fresh, fully migrated database for one test file: a clone of a template migrated once per
 * run. Building the template and cloning it happen under an advisory lock, since workers race.
 */
export async function createTestDatabase(options: { migrated?: boolean } = {}): Promise<TestDatabase> {
  const run = process.env.LW_TEST_RUN_ID;
  const template = `lwt_${run}_template`;
  const name = `lwt_${run}_${randomBytes(6).toString('hex')}`;
  await withAdmin(async (admin) => {
    if (options.migrated === false) {
      await admin.query(`CREATE DATABASE "${name}"`);
      return;
    }
    await admin.query('SELECT pg_advisory_lock($1)', [TEMPLATE_LOCK]);
    try {
      const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [template]);
      if (!rowCount) {
        const building = `${template}_building`;
        await admin.query(`DROP DATABASE IF EXISTS "${building}"`);
        await admin.query(`CREATE DATABASE "${building}"`);
        await migrateDatabase(building);
        await admin.query(`ALTER DATABASE "${building}" RENAME TO "${template}"`);
      }
      await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
    } finally {
      await admin.query('SELECT pg_advisory_unlock($1)', [TEMPLATE_LOCK]);
    }
  });

  const client = new Client({ connectionString: databaseUrl(name) });
  // The infra suites kill servers under it: fail its next query, don't crash the worker.
  client.on('error', () => undefined);
  await client.connect();
  return {
    name,
    url: databaseUrl(name),
    runtimeUrl: asRuntimeRole(databaseUrl(name)),
    query: async (sql, params) => (await client.query(sql, params)).rows,
    drop: async () => {
      await client.end();
      await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}
