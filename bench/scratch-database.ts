import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { loadConfig } from '@loomworks/config';
import { CREDIT_FUNCTIONS_DIR } from '@loomworks/credit';
import { dataSourceOptions, Migrator } from '@loomworks/database';
import { GATEWAY_FUNCTIONS_DIR } from '@loomworks/gateway';
import { LLM_FUNCTIONS_DIR } from '@loomworks/llm';
import { ORCHESTRATION_FUNCTIONS_DIR } from '@loomworks/orchestration';
import { allMigrations } from '../migrations';

/**
 * Runs `work` against a freshly migrated database on the configured server (`name`, by default one
 * per process), dropped afterwards unless `keep` (then it stays for inspection, e.g. a 10 M-flow
 * ledger that took many minutes to build; the next run under the same name drops it first, unless
 * `reuse`: then an existing database is migrated and handed over as it is, for work that can tell
 * what it holds).
 * As the owner (DATABASE_MIGRATION_URL: with-db's embedded cluster gives the runtime role as
 * DATABASE_URL, which may not create databases); the benches run as that one role.
 */
export async function withScratchDatabase(
  work: (databaseUrl: string) => Promise<void>,
  name = `loomworks_bench_${process.pid}`,
  options: { keep?: boolean; reuse?: boolean } = {},
): Promise<void> {
  const base = loadConfig(process.env);
  const admin = new Client({ connectionString: base.databaseMigrationUrl });
  await admin.connect();
  const [existing] = (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rows;
  if (!(options.reuse && existing)) {
    // A fixed name may be left over from a run that was killed.
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${name}`);
  }
  const url = new URL(base.databaseMigrationUrl);
  url.pathname = `/${name}`;
  try {
    const migrate = await new DataSource(dataSourceOptions(url.toString(), allMigrations)).initialize();
    await new Migrator(migrate, [CREDIT_FUNCTIONS_DIR, ORCHESTRATION_FUNCTIONS_DIR, LLM_FUNCTIONS_DIR, GATEWAY_FUNCTIONS_DIR]).onModuleInit();
    await migrate.destroy();
    await work(url.toString());
  } finally {
    if (options.keep) console.log(`kept the database ${name}: ${url.toString().replace(/:[^:@/]*@/, ':…@')}`);
    else await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}
