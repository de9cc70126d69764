/**
 * Ledger verification speed: LedgerService.verify() (every balance against the sum of its flows,
 * per-asset zero sums, idempotency keys) over a ledger of BENCH_VERIFY_FLOWS flows (1,000,000 by
 * default), in flows checked per second: the first verification (which folds every flow into the
 * checkpoint) and the steady state (NEW_FLOWS written since the last one), beside a baseline in
 * the same run: one plain sequential aggregate over the table (`SELECT count(*), sum(amount)`),
 * the least a check that reads every flow must do.
 * Run: npm run bench   (embedded PostgreSQL unless DATABASE_URL is set; uses a scratch database)
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { loadConfig } from '@loomworks/config';
import { LedgerService, SealerService } from '@loomworks/credit/staff';
import { Transactions } from '@loomworks/database';
import { AppModule } from '../apps/api/src/app.module';
import { fillLedger, loadAverage, postgresCpuMs } from './bench-kit';
import { withScratchDatabase } from './scratch-database';

const FLOWS = Number(process.env.BENCH_VERIFY_FLOWS ?? 1_000_000);
const PERSONS = 10_000;
const ROUNDS = 3;
const NEW_FLOWS = 10_000;
const FEW_FLOWS = 1_000;
/** verify({full: true}) repeated for its Postgres CPU per call (whole seconds each: ticks suffice). */
const FULL_CPU_CALLS = 3;

async function main() {
  await withScratchDatabase(run);
}

async function run(databaseUrl: string) {
  const config = loadConfig({ ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent' });
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(config), { logger: false });
  const transactions = app.get(Transactions);
  const ledger = app.get(LedgerService);
  const sealer = app.get(SealerService);

  const started = Date.now();
  await fillLedger(transactions, { flows: FLOWS, persons: PERSONS });
  console.log(`\nledger of ${FLOWS.toLocaleString('en')} flows over ${PERSONS.toLocaleString('en')} persons built in ${((Date.now() - started) / 1000).toFixed(1)}s`);

  // Seal the ledger (the sealer's first pass over everything), then verify?full: every balance
  // and every seal recomputed from the flows.
  const sealStart = process.hrtime.bigint();
  await sealer.sealOnce();
  const sealSeconds = Number(process.hrtime.bigint() - sealStart) / 1e9;
  const firstCpuBefore = await postgresCpuMs(transactions);
  const fullStart = process.hrtime.bigint();
  const full = await ledger.verify({ full: true });
  const verifyFullSeconds = Number(process.hrtime.bigint() - fullStart) / 1e9;
  // Its helpers' connections may be new (the pool closes idle ones): they count whole, start-up too.
  const verifyFullFirstCpuSeconds = ((await postgresCpuMs(transactions)) - firstCpuBefore) / 1000;
  if (!full.ok || full.checkedFlows !== FLOWS) throw new Error(`the bench ledger does not verify: ${JSON.stringify(full, jsonBigint)}`);
  const fullLoad = loadAverage();
  // The same again, by the CPU this database's backends spent (the seal helpers' connections stay
  // open in the pool, so theirs counts): the machine's load stretches the wall time, hardly this.
  const cpuBefore = await postgresCpuMs(transactions);
  let verifyFullBest = Infinity;
  for (let call = 0; call < FULL_CPU_CALLS; call++) {
    const start = process.hrtime.bigint();
    await ledger.verify({ full: true });
    verifyFullBest = Math.min(verifyFullBest, Number(process.hrtime.bigint() - start) / 1e9);
  }
  const verifyFullCpuSeconds = ((await postgresCpuMs(transactions)) - cpuBefore) / 1000 / FULL_CPU_CALLS;
  const fullAgainLoad = loadAverage();

  // The first incremental verification folds the sealed ledger into the checkpoint.
  const firstStart = process.hrtime.bigint();
  const first = await ledger.verify();
  const fullSeconds = Number(process.hrtime.bigint() - firstStart) / 1e9;
  if (!first.ok || first.checkedFlows !== FLOWS) throw new Error(`the bench ledger does not verify: ${JSON.stringify(first, jsonBigint)}`);

  // Then the steady state: NEW_FLOWS more flows (through the trigger) before each verification.
  let steadySeconds = Infinity;
  for (let round = 0; round < ROUNDS; round++) {
    await addConsumptions(transactions, NEW_FLOWS);
    await sealer.sealOnce();
    const start = process.hrtime.bigint();
    const report = await ledger.verify();
    steadySeconds = Math.min(steadySeconds, Number(process.hrtime.bigint() - start) / 1e9);
    if (!report.ok) throw new Error('the bench ledger does not verify');
  }
  // And with few new flows, below the fold (the incremental check of a scheduler's minute): its
  // cost should follow those flows, not the ledger — compare BENCH_VERIFY_FLOWS=10000 with 1 M.
  let fewSeconds = Infinity;
  for (let round = 0; round < ROUNDS; round++) {
    await addConsumptions(transactions, FEW_FLOWS);
    await sealer.sealOnce();
    const start = process.hrtime.bigint();
    const report = await ledger.verify();
    fewSeconds = Math.min(fewSeconds, Number(process.hrtime.bigint() - start) / 1e9);
    if (!report.ok) throw new Error('the bench ledger does not verify');
  }
  const total = FLOWS + ROUNDS * (NEW_FLOWS + FEW_FLOWS);
  const scanSeconds = await bestOf(() => transactions.manager.query('SELECT count(*), sum(amount) FROM credit.flows'));
  console.log('ledger verification (every balance against the sum of its flows)');
  const row = (what: string, flows: number, seconds: number) => ({
    what,
    flows: flows.toLocaleString('en'),
    seconds: seconds.toFixed(3),
    'flows checked/s': Math.round(flows / seconds).toLocaleString('en'),
  });
  console.table([
    row('sealing every flow (first sealer pass)', FLOWS, sealSeconds),
    row('verify({full: true}) (balances + every seal recomputed)', FLOWS, verifyFullSeconds),
    row(`verify({full: true}) again, best of ${FULL_CPU_CALLS}`, FLOWS, verifyFullBest),
    row('first verify() (folds every sealed flow)', FLOWS, fullSeconds),
    row(`verify() with ${NEW_FLOWS.toLocaleString('en')} new flows (folded first), best of ${ROUNDS}`, total, steadySeconds),
    row(`verify() with ${FEW_FLOWS.toLocaleString('en')} new flows (not folded), best of ${ROUNDS}`, total, fewSeconds),
    row(`count+sum scan (baseline), best of ${ROUNDS}`, total, scanSeconds),
  ]);
  console.log(
    `verify({full: true}): load ${fullLoad} after the first, ${fullAgainLoad} after ${FULL_CPU_CALLS} more; ` +
      `Postgres CPU ${verifyFullCpuSeconds.toFixed(2)} s a call = ${Math.round(FLOWS / verifyFullCpuSeconds).toLocaleString('en')} flows per CPU-second ` +
      `(the first call ${verifyFullFirstCpuSeconds.toFixed(2)} s)`,
  );
  console.log(`verify() / baseline time: first ${(fullSeconds / scanSeconds).toFixed(2)}, steady ${(steadySeconds / scanSeconds).toFixed(3)}`);
  await app.close();
}

/** Consumption flows through the balance trigger, as turns would write them. */
async function addConsumptions(transactions: Transactions, count: number): Promise<void> {
  await transactions.manager.query(
    `INSERT INTO credit.flows (kind, asset, amount, from_party, to_party, person_id, idempotency_key, created_at)
     SELECT 'consumption', 'haiku', 3, 'person:' || p, 'system:consumed', p, 'bench:' || gen_random_uuid(), now()
       FROM (SELECT ('00000000-0000-4000-9000-' || lpad(to_hex(1 + i % $2), 12, '0'))::uuid AS p FROM generate_series(1, $1) i) c`,
    [count, PERSONS],
  );
}

async function bestOf(work: () => Promise<unknown>): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < ROUNDS; i++) {
    const start = process.hrtime.bigint();
    await work();
    best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e9);
  }
  return best;
}

const jsonBigint = (_key: string, value: unknown) => (typeof value === 'bigint' ? value.toString() : value);

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
