import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { loadConfig } from '@loomworks/config';
import { CREDIT_FUNCTIONS_DIR } from '@loomworks/credit';
import { dataSourceOptions, Migrator } from '@loomworks/database';
import { allMigrations } from '../migrations';

/** Runs `work` against a freshly migrated database on the configured server, dropped afterwards. */
export async function withScratchDatabase(work: (databaseUrl: string) => Promise<void>): Promise<void> {
  const base = loadConfig(process.env);
  const name = `loomworks_bench_${process.pid}`;
  const admin = new Client({ connectionString: base.databaseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(base.databaseUrl);
  url.pathname = `/${name}`;
  try {
    const migrate = await new DataSource(dataSourceOptions(url.toString(), allMigrations)).initialize();
    await new Migrator(migrate, [CREDIT_FUNCTIONS_DIR]).onModuleInit();
    await migrate.destroy();
    await work(url.toString());
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}
