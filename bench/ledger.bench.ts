/**
 * Ledger write throughput: flows/s through the one flow writer as services use it
 * (LedgerService.writeFlow: credit.write_flow with its key check, in a transaction that locks the
 * person) for 1 vs 16 persons in parallel, against a baseline of bare INSERTs into credit.flows
 * (trigger included) at the same concurrency, in one run. (A turn's place + settle: holds.bench.ts.)
 * Run: npm run bench   (embedded PostgreSQL unless DATABASE_URL is set; uses a scratch database)
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { NestFactory } from '@nestjs/core';
import { loadConfig } from '@loomworks/config';
import { LedgerService } from '@loomworks/credit/staff';
import { PersonsService } from '@loomworks/persons';
import { Transactions } from '@loomworks/database';
import { AppModule } from '../apps/api/src/app.module';
import { fundedPersons, SECONDS, serverVersion, throughput } from './bench-kit';
import { withScratchDatabase } from './scratch-database';

const HAIKU = 'claude-haiku-4-5-20251001';

async function main() {
  await withScratchDatabase(run);
}

async function run(databaseUrl: string) {
  const config = loadConfig({ ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent' });
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(config), { logger: false });
  const transactions = app.get(Transactions);
  const ledger = app.get(LedgerService);
  const persons = app.get(PersonsService);
  const people = await fundedPersons(app, 16);

  const viaService = (personId: string) => () =>
    transactions.run(async (tx) => {
      await persons.lockById(tx, personId);
      await ledger.writeFlow(tx, {
        kind: 'consumption', asset: 'haiku', amount: 3n, from: `person:${personId}`, to: 'system:consumed', personId,
        idempotencyKey: `bench:${randomUUID()}`, metadata: { model: HAIKU },
      });
    });
  const rawInsert = (personId: string) => () =>
    transactions.manager.query(
      `INSERT INTO credit.flows (kind, asset, amount, from_party, to_party, person_id, idempotency_key, created_at)
       VALUES ('consumption', 'haiku', 3, $1, 'system:consumed', $2, $3, now())`,
      [`person:${personId}`, personId, `bench:${randomUUID()}`],
    );

  const rows: string[][] = [];
  for (const [label, make] of [['LedgerService.writeFlow', viaService], ['raw INSERT (baseline)', rawInsert]] as const) {
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

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
