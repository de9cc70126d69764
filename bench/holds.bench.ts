/**
 * A system-key turn's credit work — place the hold (one statement, one commit), settle two stages
 * (one statement inside the turn's transaction, one commit) — at 16 persons in parallel, against
 * a baseline of bare INSERTs of the same four flows (hold, release, two consumptions), one
 * transaction each, and against the public ledger pgledger (one plpgsql call and commit per
 * transfer, 16 clients) on the same Postgres, in the same run: rounds of the three, interleaved,
 * medians reported. pgledger's SQL is loaded from PGLEDGER_DIR at bench time (see pgledger.ts);
 * without it that comparison is skipped and the bench says why.
 * Then balance reads and hold placement with 10 k flows in the ledger against 1 M flows, to show
 * both stay flat in ledger size.
 * Run: npm run bench   (embedded PostgreSQL unless DATABASE_URL is set; uses a scratch database)
 *      PGLEDGER_DIR=/path/to/pgledger BENCH_ROUNDS=3 node -r @swc-node/register bench/holds.bench.ts
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { NestFactory } from '@nestjs/core';
import { Client } from 'pg';
import { loadConfig } from '@loomworks/config';
import { type PlaceHoldCommand } from '@loomworks/credit';
import { HoldsService, LedgerService } from '@loomworks/credit/staff';
import { Transactions } from '@loomworks/database';
import { SystemConfigService } from '@loomworks/system-config';
import { AppModule } from '../apps/api/src/app.module';
import { fundedPersons, SECONDS, serverVersion, throughput } from './bench-kit';
import { openPgledger, pgledgerSource } from './pgledger';
import { withScratchDatabase } from './scratch-database';

const HAIKU = 'claude-haiku-4-5-20251001';
const usage = { input: 300, output: 200, cacheRead: 0, cacheWrite: 0 };
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const PERSONS = 16;
/** A turn's credit work commits twice (the placement, the turn's transaction) and writes four flows. */
const COMMITS_PER_TURN = 2;
const FLOWS_PER_TURN = 4;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');

async function main() {
  await withScratchDatabase(run);
}

async function run(databaseUrl: string) {
  // function timing for BENCH_PROFILE, set before the app's connections open (it applies to new ones)
  if (process.env.BENCH_PROFILE === '1') await ownerQuery(databaseUrl, `ALTER DATABASE ${new URL(databaseUrl).pathname.slice(1)} SET track_functions = 'all'`);
  const config = loadConfig({ ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent' });
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(config), { logger: false });
  const transactions = app.get(Transactions);
  const holds = app.get(HoldsService);
  const ledger = app.get(LedgerService);
  await app.get(SystemConfigService).set('max_turns_in_flight', 1000);
  const people = await fundedPersons(app, PERSONS);

  const command = (personId: string): PlaceHoldCommand => ({
    personId,
    turnId: randomUUID(),
    classify: { inputTokens: 200, maxTokens: 10 },
    respond: { inputTokens: 600, maxTokens: 1024 },
  });
  const turnCreditWork = (personId: string) => async () => {
    const cmd = command(personId);
    const placed = await holds.place(cmd);
    if (placed.status !== 'placed') throw new Error(`hold not placed: ${placed.status}`);
    await transactions.run((tx) =>
      holds.settle(
        { holdId: placed.hold.id, turnId: cmd.turnId, stages: [{ stage: 'classify', model: HAIKU, usage }, { stage: 'respond', model: HAIKU, usage }] },
        tx,
      ),
    );
  };
  const insert = (personId: string, kind: string, from: string, to: string) =>
    transactions.run((tx) =>
      tx.query(
        `INSERT INTO credit.flows (kind, asset, amount, from_party, to_party, person_id, idempotency_key, created_at)
         VALUES ($1, 'haiku', 3, $2, $3, $4, $5, now())`,
        [kind, from, to, personId, `bench:${randomUUID()}`],
      ),
    );
  const bareInserts = (personId: string) => async () => {
    const party = `person:${personId}`;
    await insert(personId, 'hold', party, 'system:held');
    await insert(personId, 'release', 'system:held', party);
    await insert(personId, 'consumption', party, 'system:consumed');
    await insert(personId, 'consumption', party, 'system:consumed');
  };

  const source = pgledgerSource();
  const peer = 'missing' in source ? null : await openPgledger(databaseUrl, `${new URL(databaseUrl).pathname.slice(1)}_pgledger`, source, PERSONS);
  const started = { at: new Date().toISOString(), load: load() };
  // Warm up both sides at full width: every pooled connection has compiled the functions and
  // planned the statements before the first measured round (else round one ran cold for the
  // turn alone, the baseline following on the connections it had warmed).
  await throughput(people.map(turnCreditWork), 1);
  await throughput(people.map(bareInserts), 1);
  const runs: { service: number[]; baseline: number[]; pgledger: number[] } = { service: [], baseline: [], pgledger: [] };
  for (let round = 0; round < ROUNDS; round++) {
    runs.service.push(await throughput(people.map(turnCreditWork)));
    runs.baseline.push(await throughput(people.map(bareInserts)));
    if (peer) runs.pgledger.push(await peer.measure());
  }
  await peer?.close();
  const service = median(runs.service);
  const baseline = median(runs.baseline);
  console.log(
    `\nA turn's credit work at ${PERSONS} persons in parallel, medians of ${ROUNDS} interleaved rounds of ${SECONDS}s ` +
      `(Postgres ${await serverVersion(transactions)}; ${started.at}, load average ${started.load} at the start, ${load()} at the end)`,
  );
  const rows = [
    { what: 'place hold + settle 2 stages (2 commits, 4 flows)', 'turns/s': service.toFixed(0), 'commits/s': (service * COMMITS_PER_TURN).toFixed(0), 'flows/s': (service * FLOWS_PER_TURN).toFixed(0), rounds: runs.service.map((x) => x.toFixed(0)).join(' ') },
    { what: 'baseline: the same 4 flows as bare INSERTs, one transaction each', 'turns/s': baseline.toFixed(0), 'commits/s': (baseline * FLOWS_PER_TURN).toFixed(0), 'flows/s': (baseline * FLOWS_PER_TURN).toFixed(0), rounds: runs.baseline.map((x) => x.toFixed(0)).join(' ') },
  ];
  if (peer && 'commit' in source) {
    const transfers = median(runs.pgledger);
    rows.push({ what: `pgledger ${source.commit}: pgledger_create_transfer, 1 commit = 1 transfer`, 'turns/s': '—', 'commits/s': transfers.toFixed(0), 'flows/s': transfers.toFixed(0), rounds: runs.pgledger.map((x) => x.toFixed(0)).join(' ') });
  }
  console.table(rows);
  console.log(`service / baseline: ${(service / baseline).toFixed(2)}  (target ≥ 0.9)`);
  if ('missing' in source) {
    console.log(`pgledger comparison skipped: ${source.missing}`);
  } else {
    const transfers = median(runs.pgledger);
    console.log(`per commit, ours / pgledger: ${((service * COMMITS_PER_TURN) / transfers).toFixed(2)}  (goal ≥ 1.5); per flow written: ${((service * FLOWS_PER_TURN) / transfers).toFixed(2)}`);
  }

  if (process.env.BENCH_PROFILE === '1') await profile(transactions, people.slice(0, Number(process.env.BENCH_PROFILE_PERSONS ?? PERSONS)).map(turnCreditWork));
  if (process.env.BENCH_FLAT === '0') return app.close(); // the comparison alone

  // Flat in ledger size: the same reads and placements with 10 k, then 1 M flows in the ledger.
  const balanceRead = (personId: string) => () => ledger.creditSummary(personId);
  const placeAndRelease = (personId: string) => async () => {
    const placed = await holds.place(command(personId));
    if (placed.status === 'placed') await holds.release(placed.hold.id);
  };
  const measureAtSize = async (flows: number) => {
    await fillLedger(transactions, flows);
    return { reads: await throughput(people.map(balanceRead)), places: await throughput(people.map(placeAndRelease)) };
  };
  const small = await measureAtSize(10_000);
  const large = await measureAtSize(1_000_000);
  console.log('\nFlat in ledger size (16 persons in parallel, ops/s)');
  console.table([
    { what: 'credit view read (balances, held, holds)', '10 k flows': small.reads.toFixed(0), '1 M flows': large.reads.toFixed(0), 'slowdown 1M/10k': (small.reads / large.reads).toFixed(2) },
    { what: 'place + release a hold', '10 k flows': small.places.toFixed(0), '1 M flows': large.places.toFixed(0), 'slowdown 1M/10k': (small.places / large.places).toFixed(2) },
  ]);
  console.log('target: slowdown ≤ 1.2');
  await app.close();
}

async function ownerQuery(databaseUrl: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * BENCH_PROFILE=1: where a turn's credit work spends the server's time — one more round of it with
 * pg_stat_statements (every statement, nested ones inside the functions too) and function timing
 * on, the top statements by total time. Needs `shared_preload_libraries = 'pg_stat_statements'`
 * and `pg_stat_statements.track = 'all'` on the server; without them it says so and skips.
 * BENCH_PROFILE_PERSONS=1 profiles one person alone: CPU and commit time without the queueing of 16.
 */
async function profile(transactions: Transactions, workers: Array<() => Promise<unknown>>): Promise<void> {
  const q = (sql: string) => transactions.manager.query(sql);
  try {
    await q('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    await q('SELECT pg_stat_statements_reset()');
  } catch (error) {
    console.log(`profile skipped: ${(error as Error).message}`);
    return;
  }
  await q('SELECT pg_stat_reset()');
  const turns = await throughput(workers);
  await new Promise((resolve) => setTimeout(resolve, 1500)); // backends flush their function stats when idle
  console.log(`\nProfile: ${turns.toFixed(0)} turns/s with pg_stat_statements on; per turn (µs of server time):`);
  const per = (x: string) => `round((${x}) * 1000 / ${turns * SECONDS})::int`;
  console.table(
    await q(`SELECT ${per('total_exec_time')} AS "µs/turn", calls, round(mean_exec_time::numeric * 1000)::int AS "µs/call", toplevel,
                    left(regexp_replace(query, '\\s+', ' ', 'g'), 110) AS query
               FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
              ORDER BY total_exec_time DESC LIMIT 30`),
  );
  console.table(
    await q(`SELECT funcname, calls, ${per('total_time')} AS "total µs/turn", ${per('self_time')} AS "self µs/turn"
               FROM pg_stat_user_functions ORDER BY self_time DESC LIMIT 20`),
  );
}

/**
 * Tops the ledger up to `total` flows with other persons' history (and a settled hold for every
 * fourth flow), written in bulk: setup only, so the per-row trigger is skipped (replica role) and
 * the balances of the filler parties are not kept — the measured persons' rows are untouched.
 */
async function fillLedger(transactions: Transactions, total: number): Promise<void> {
  const [{ n }] = await transactions.manager.query('SELECT count(*)::int AS n FROM credit.flows');
  const missing = total - n;
  if (missing <= 0) return;
  await transactions.run(async (tx) => {
    await tx.query("SET LOCAL session_replication_role = 'replica'");
    await tx.query(
      `INSERT INTO credit.flows (kind, asset, amount, from_party, to_party, person_id, idempotency_key, created_at)
       SELECT 'consumption', 'haiku', 1, 'system:issuer', 'system:consumed', NULL, 'fill:' || $2 || ':' || g, now() FROM generate_series(1, $1) g`,
      [missing, total],
    );
    await tx.query(
      `INSERT INTO credit.holds (id, person_id, payer, asset, amount, turn_id, status, expires_at, created_at, ended_at, charged)
       SELECT gen_random_uuid(), p.id, 'person:' || p.id, 'haiku', 5, gen_random_uuid(), 'settled', now(), now() - interval '1 day', now(), 3
         FROM generate_series(1, $1 / 4), (SELECT id FROM persons LIMIT 1) p`,
      [missing],
    );
  });
  // VACUUM too (as verify.bench does): otherwise autovacuum and hint-bit writes on the fresh rows
  // take a core in the middle of the 1 M measurement, which on two cores looks like a slowdown.
  await transactions.manager.query('VACUUM ANALYZE credit.flows');
  await transactions.manager.query('VACUUM ANALYZE credit.holds');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
