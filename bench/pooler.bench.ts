/**
 * A system-key turn's credit work (place the hold, settle two stages) at 16 persons in parallel,
 * straight to Postgres and through PgBouncer in transaction mode (DATABASE_POOL_MODE=transaction),
 * in the same run. Target: through the pooler ≥ 0.8× direct.
 * Run: npm run bench   (needs Debian's pgbouncer; embedded PostgreSQL unless DATABASE_URL is set)
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { loadConfig } from '@loomworks/config';
import { SystemConfigService } from '@loomworks/system-config';
import { AppModule } from '../apps/api/src/app.module';
import { PgBouncer } from '../test/infra/support/pgbouncer';
import { fundedPersons, SECONDS, throughput, turnCreditWork } from './bench-kit';
import { withScratchDatabase } from './scratch-database';


async function main() {
  await withScratchDatabase(run);
}

async function turnsPerSecond(env: Record<string, string>): Promise<number> {
  const config = loadConfig({ ...process.env, ...env, LOG_LEVEL: 'silent' });
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(config), { logger: false });
  try {
    await app.get(SystemConfigService).set('max_turns_in_flight', 1000);
    const people = await fundedPersons(app, 16);
    const work = turnCreditWork(app);
    const turn = (personId: string) => work(personId);
    await throughput([turn(people[0])], 1); // warm up
    return await throughput(people.map(turn));
  } finally {
    await app.close();
  }
}

async function run(databaseUrl: string) {
  const server = new URL(databaseUrl);
  const bouncer = await PgBouncer.start({ host: server.hostname, port: Number(server.port || 5432) }, [
    { role: decodeURIComponent(server.username) || 'postgres', password: decodeURIComponent(server.password) },
  ], 20);
  try {
    const directEnv = { DATABASE_URL: databaseUrl, DATABASE_MIGRATION_URL: databaseUrl };
    const pooledEnv = { DATABASE_URL: bouncer.wrap(databaseUrl), DATABASE_MIGRATION_URL: databaseUrl, DATABASE_POOL_MODE: 'transaction' };
    // Interleaved, best of two each: the first run on a fresh database also warms it up.
    const runs = [await turnsPerSecond(directEnv), await turnsPerSecond(pooledEnv), await turnsPerSecond(directEnv), await turnsPerSecond(pooledEnv)];
    const direct = Math.max(runs[0], runs[2]);
    const pooled = Math.max(runs[1], runs[3]);
    console.log(`\nA turn's credit work at 16 persons in parallel, turns/s over ${SECONDS}s`);
    console.table([
      { what: 'direct to Postgres (best of 2)', 'turns/s': direct.toFixed(0), runs: `${runs[0].toFixed(0)}, ${runs[2].toFixed(0)}` },
      { what: 'through PgBouncer, transaction mode, pool 20 (best of 2)', 'turns/s': pooled.toFixed(0), runs: `${runs[1].toFixed(0)}, ${runs[3].toFixed(0)}` },
    ]);
    console.log(`pooled / direct: ${(pooled / direct).toFixed(2)}  (target ≥ 0.8)`);
  } finally {
    await bouncer.stop();
  }
}

void main().catch((error) => {
  console.error(error);
  process.exit(1);
});
