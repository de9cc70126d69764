/**
 * Ledger write throughput: consumption flows/s through ConsumptionService (lock person, price at
 * the current rates, insert, read balance) for 1 vs 16 persons in parallel, against a baseline of
 * bare INSERTs into credit.flows (trigger included) at the same concurrency, in one run.
 * Run: npm run bench   (embedded PostgreSQL unless DATABASE_URL is set; uses a scratch database)
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { NestFactory } from '@nestjs/core';
import { loadConfig } from '@loomworks/config';
import { ConsumptionService, GrantsService } from '@loomworks/credit/staff';
import { Transactions } from '@loomworks/database';
import { PersonsService } from '@loomworks/persons';
import { AppModule } from '../apps/api/src/app.module';
import { withScratchDatabase } from './scratch-database';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const HAIKU = 'claude-haiku-4-5-20251001';

async function main() {
  await withScratchDatabase(run);
}

async function run(databaseUrl: string) {
  const config = loadConfig({ ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent' });
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(config), { logger: false });
  const transactions = app.get(Transactions);
  const persons = app.get(PersonsService);
  const grants = app.get(GrantsService);
  const consumption = app.get(ConsumptionService);

  const people: string[] = [];
  for (let i = 0; i < 16; i++) {
    const email = `bench${i}.${randomUUID()}@example.com`;
    const { claimToken } = await grants.issue({ recipientEmail: email, asset: 'haiku', kind: 'welcome', amount: 10n ** 12n });
    people.push(
      await transactions.run(async (tx) => {
        const p = await persons.createPerson(tx, { email, displayName: 'Bench' });
        await grants.claimInTransaction(tx, { claimToken, personId: p.id, email });
        return p.id;
      }),
    );
  }

  const usage = { input: 1200, output: 340, cacheRead: 0, cacheWrite: 0 };
  const viaService = (personId: string) => () =>
    consumption.record({ personId, turnId: randomUUID(), asset: 'haiku', stages: [{ stage: 'respond', model: HAIKU, usage }] });
  const rawInsert = (personId: string) => () =>
    transactions.manager.query(
      `INSERT INTO credit.flows (kind, asset, amount, from_party, to_party, person_id, idempotency_key, created_at)
       VALUES ('consumption', 'haiku', 3, $1, 'system:consumed', $2, $3, now())`,
      [`person:${personId}`, personId, `bench:${randomUUID()}`],
    );

  const rows: string[][] = [];
  for (const [label, make] of [['ConsumptionService.record', viaService], ['raw INSERT (baseline)', rawInsert]] as const) {
    const one = await throughput([make(people[0])]);
    const sixteen = await throughput(people.map(make));
    rows.push([label, one.toFixed(0), sixteen.toFixed(0), (sixteen / one).toFixed(2)]);
  }
  const [service, raw] = rows;
  console.log(`\nledger writes, flows/s over ${SECONDS}s each (Postgres ${await serverVersion(transactions)})`);
  console.table(rows.map(([what, p1, p16, scale]) => ({ what, '1 person': p1, '16 persons': p16, 'scale 16/1': scale })));
  console.log(`service / baseline: 1 person ${(+service[1] / +raw[1]).toFixed(2)}, 16 persons ${(+service[2] / +raw[2]).toFixed(2)}`);
  await app.close();
}

/** Runs each worker in a loop for SECONDS; returns completed operations per second. */
async function throughput(workers: Array<() => Promise<unknown>>): Promise<number> {
  const end = Date.now() + SECONDS * 1000;
  let done = 0;
  await Promise.all(
    workers.map(async (work) => {
      while (Date.now() < end) {
        await work();
        done++;
      }
    }),
  );
  return done / SECONDS;
}

async function serverVersion(transactions: Transactions): Promise<string> {
  const [{ server_version }] = await transactions.manager.query('SHOW server_version');
  return server_version;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
