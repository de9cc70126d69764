/**
 * Ten million flows (issue 24): the hot operations on a ledger of 10 k flows beside one of 10 M flows
 * over 100 k persons:
 *   - a turn's credit work (place the hold, settle two stages), 16 persons in parallel, turns/s, and
 *     the Postgres CPU it took (turns per Postgres core-second: the capacity figure of docs/scaling.md);
 *   - GET /me/credit's read (LedgerService.creditSummary: credit.credit_view), 16 in parallel;
 *   - GET /me/flows' first page (LedgerService.flows, 50 newest), 16 in parallel;
 *   - incremental verify() with 1,000 sealed flows past the checkpoint, best of 3, and the Postgres
 *     CPU it takes per call (30 calls), which the machine's load hardly changes.
 *
 * Each measurement runs in a fresh process (a fork of this file) on one of the two databases, 10 k
 * and 10 M alternating SCALE_RUNS times (3 by default); the figures judged are the medians of the
 * pairs' ratios. Until run 9 of docs/scaling.md one process measured 10 k, then built, sealed and
 * verified 10 M flows and measured again: the 10 M half ran in a process whose heap had just held
 * all that, and each figure was taken once in a fixed order on a machine shared with other jobs.
 * The 10 k ledger is measured on a fresh copy of its database each time (CREATE DATABASE … TEMPLATE),
 * so it stays 10 k; the 10 M one grows by each measurement's ~10-20 k flows, nothing at its size.
 *
 * The ledgers are generated in SQL (generate_series, INSERT … SELECT in chunks of 1 M flows) in the
 * shapes the ledger writes them: an issuance per person (key grant:<id>, no grants row), then turns of four flows (hold,
 * release, classify and respond consumptions; the keys and metadata of write_hold / settle_hold),
 * turn t paid by person t mod P, one turn every few seconds over the past year. The balance
 * triggers are disabled by the table owner for each chunk (a per-row upsert would take an hour at
 * 10 M) and the chunk's balances are added by one aggregate over its flows: exactly what the trigger
 * would have written, which verify({full: true}) checks once the 10 M ledger is built (every balance
 * and every seal recomputed: the generated ledger must verify). Holds rows of the generated turns are
 * not written (they are settled; only active holds are read by the measured paths).
 *
 * Per person, the history is the same at both sizes (~100 flows: 100 persons at 10 k, 100 k at
 * 10 M): what grows is the table, the index and the number of persons and balances. Except for the
 * 16 measured persons: the 10 M ledger starts with the 10 k one and every measurement adds their
 * turns, so at 10 M their history is several times as long — which history's first page must not
 * feel (it reads 51 rows).
 *
 * Run: npm run bench:scale   (DATABASE_URL as the tables' owner, or the embedded cluster; makes the
 * databases loomworks_scale_bench and loomworks_scale_bench_10k and drops them at the end; ~7 GB of
 * disk, ~15-30 min on 2 busy cores). SCALE_FLOWS overrides the large size (e.g. 1000000 for a quick
 * run). SCALE_KEEP=1 leaves the databases behind (superuser URL printed at the end), and a later run
 * with SCALE_KEEP=1 measures the kept large ledger instead of building it again; SCALE_DATABASE
 * names it (default loomworks_scale_bench), so two sizes can be kept side by side.
 */
import 'reflect-metadata';
import { fork } from 'node:child_process';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Client } from 'pg';
import { loadConfig } from '@loomworks/config';
import { LedgerService, SealerService } from '@loomworks/credit/staff';
import { Transactions } from '@loomworks/database';
import { SystemConfigService } from '@loomworks/system-config';
import { AppModule } from '../apps/api/src/app.module';
import { loadAverage, median, postgresCpuMs, SECONDS, serverVersion, throughput, turnCreditWork } from './bench-kit';
import { withScratchDatabase } from './scratch-database';

const LARGE_FLOWS = Number(process.env.SCALE_FLOWS ?? 10_000_000);
const LARGE_PERSONS = Math.max(1_000, Math.round(LARGE_FLOWS / 100));
const SMALL_FLOWS = 10_000;
const SMALL_PERSONS = 100;
const CHUNK_FLOWS = 1_000_000;
const PARALLEL = 16;
const VERIFY_NEW_FLOWS = 1_000;
const VERIFY_CPU_CALLS = 30;
const RUNS = Number(process.env.SCALE_RUNS ?? 3);
const DATABASE = process.env.SCALE_DATABASE ?? 'loomworks_scale_bench';
const KEEP = process.env.SCALE_KEEP === '1';
const SMALL = `${SMALL_FLOWS / 1000} k`;
const LARGE = `${LARGE_FLOWS / 1e6} M`;
const HAIKU = 'claude-haiku-4-5-20251001';

/** Person n's id (n from 1): deterministic, so SQL and the bench name the same people. */
const personId = (n: number) => `00000000-0000-4000-9000-${n.toString(16).padStart(12, '0')}`;
const PERSON_SQL = (n: string) => `('00000000-0000-4000-9000-' || lpad(to_hex(${n}), 12, '0'))::uuid`;

/** One measurement of one ledger, in its own process. */
interface Figures {
  turns: number;
  pgCoreSeconds: number;
  creditReads: number;
  /** Postgres CPU per read in the 16-way loop (all of this database's backends), ms */
  creditCpuMs: number;
  historyPages: number;
  historyCpuMs: number;
  /** the measuring process's own CPU per page (the app's side: pool, driver, row conversion), ms */
  historyNodeCpuMs: number;
  /** Postgres's own work per read, independent of the machine's load: best execution ms and buffers touched */
  historyPlan: PlanFigures;
  creditPlan: PlanFigures;
  verifySeconds: number;
  /** Postgres CPU per incremental verify() */
  verifyCpuMs: number;
  balances: number;
  /** the last flow's id after the measurement (about the number of flows) */
  flows: number;
}

interface Run extends Figures {
  ledger: string;
  at: string;
  /** the 1-minute load average when the process started and when it ended */
  loadBefore: string;
  loadAfter: string;
}

/** A figure of a run, and which way is slower: the slowdown of 10 M against 10 k is large ÷ small for times, small ÷ large for rates. */
interface Metric {
  what: string;
  unit: string;
  of: (f: Figures) => number;
  rate?: boolean;
}

const METRICS: Metric[] = [
  { what: 'place hold + settle 2 stages', unit: 'turns/s', of: (f) => f.turns, rate: true },
  { what: 'turns per Postgres core-second', unit: '', of: (f) => (f.turns * SECONDS) / f.pgCoreSeconds, rate: true },
  { what: '/me/credit read (credit_view)', unit: 'reads/s', of: (f) => f.creditReads, rate: true },
  { what: '/me/credit read: Postgres CPU per read', unit: 'ms', of: (f) => f.creditCpuMs },
  { what: '/me/flows first page (50)', unit: 'pages/s', of: (f) => f.historyPages, rate: true },
  { what: '/me/flows first page: Postgres CPU per page', unit: 'ms', of: (f) => f.historyCpuMs },
  { what: '/me/flows first page: Node CPU per page', unit: 'ms', of: (f) => f.historyNodeCpuMs },
  { what: `verify(), ${VERIFY_NEW_FLOWS} new flows (best of 3)`, unit: 'ms', of: (f) => f.verifySeconds * 1000 },
  { what: `verify(), ${VERIFY_NEW_FLOWS} new flows: Postgres CPU per call (${VERIFY_CPU_CALLS} calls)`, unit: 'ms', of: (f) => f.verifyCpuMs },
  { what: "/me/flows first page: the app's statement, EXPLAIN ANALYZE (best of 5)", unit: 'ms', of: (f) => f.historyPlan.ms },
  { what: '/me/credit: credit.credit_view, EXPLAIN ANALYZE (best of 5)', unit: 'ms', of: (f) => f.creditPlan.ms },
];

const say = (line: string) => console.log(`[${new Date().toISOString().slice(11, 19)} load ${loadAverage()}] ${line}`);

async function main() {
  const measuring = process.env.SCALE_MEASURE_URL;
  if (measuring) {
    if (process.env.SCALE_LOG_SLOW_MS) await logSlowStatements(measuring, Number(process.env.SCALE_LOG_SLOW_MS));
    const figures = await withApp(measuring, measure);
    process.send!(figures, () => process.exit(0));
    return;
  }
  await withScratchDatabase(
    (largeUrl) => withScratchDatabase((smallUrl) => compare(smallUrl, largeUrl), `${DATABASE}_10k`, { keep: KEEP }),
    DATABASE,
    { keep: KEEP, reuse: KEEP },
  );
}

async function compare(smallUrl: string, largeUrl: string) {
  await withApp(smallUrl, (app) => buildSmall(app));
  const build = await withApp(largeUrl, (app) => buildLarge(app));

  const runs: Run[] = [];
  for (let round = 0; round < RUNS; round++) {
    const copy = await freshCopy(smallUrl);
    runs.push(await inFreshProcess(SMALL, copy.url));
    await copy.drop();
    runs.push(await inFreshProcess(LARGE, largeUrl));
  }

  console.log(`\nEach run, a fresh process on one ledger (${SMALL}: ${SMALL_PERSONS} persons; ${LARGE}: ${LARGE_PERSONS.toLocaleString('en')} persons), ${PARALLEL} in parallel`);
  runs.forEach((r, i) => console.log(`  run ${i + 1}: ${r.ledger} at ${r.at} UTC, load average ${r.loadBefore} → ${r.loadAfter}, ${r.flows.toLocaleString('en')} flows after it`));
  const byRun = (what: string, value: (r: Run) => string) => ({ what, ...Object.fromEntries(runs.map((r, i) => [`${i + 1}: ${r.ledger}`, value(r)])) });
  console.table([
    ...METRICS.map((m) => byRun(`${m.what}${m.unit && `, ${m.unit}`}`, (r) => fmt(m.of(r)))),
    byRun('EXPLAIN of the page: buffers, most rows', (r) => `${r.historyPlan.buffers}, ${r.historyPlan.rows}`),
    byRun('EXPLAIN of credit_view: buffers, most rows', (r) => `${r.creditPlan.buffers}, ${r.creditPlan.rows}`),
  ]);
  const small = runs.filter((r) => r.ledger === SMALL);
  const large = runs.filter((r) => r.ledger === LARGE);
  const slowdown = (m: Metric, a: Figures, b: Figures) => (m.rate ? m.of(a) / m.of(b) : m.of(b) / m.of(a));
  console.log(`\nMedians of the ${RUNS} runs of each; slowdown = the median of the ${RUNS} pairs' ratios (each ${LARGE} run beside the ${SMALL} run just before it)`);
  console.table(
    METRICS.map((m) => {
      const ratios = small.map((s, i) => slowdown(m, s, large[i]));
      return {
        what: m.what,
        [`at ${SMALL}`]: `${fmt(median(small.map(m.of)))}${m.unit && ` ${m.unit}`}`,
        [`at ${LARGE}`]: `${fmt(median(large.map(m.of)))}${m.unit && ` ${m.unit}`}`,
        'slowdown (target ≤ 1.2)': median(ratios).toFixed(2),
        'each pair': ratios.map((r) => r.toFixed(2)).join(' / '),
      };
    }),
  );
  console.log(
    `balance rows (verify?full compares them all; the incremental verify only those touched or watched): ${small[0].balances.toLocaleString('en')} at ${SMALL}, ${large[0].balances.toLocaleString('en')} at ${LARGE}`,
  );
  await withApp(largeUrl, (app) => report(app, build));
  say('done');
}

/** The 10 k ledger, sealed and folded into the verification checkpoint: the template every 10 k run copies. */
async function buildSmall(app: INestApplicationContext): Promise<void> {
  const transactions = app.get(Transactions);
  say(`Postgres ${await serverVersion(transactions)}; building ${SMALL_FLOWS.toLocaleString('en')} flows over ${SMALL_PERSONS} persons`);
  await addPersons(transactions, 1, SMALL_PERSONS);
  await grow(transactions, { flows: SMALL_FLOWS, persons: SMALL_PERSONS, firstNewPerson: 1 });
  await app.get(SealerService).sealOnce();
  await app.get(LedgerService).checkpoint();
}

type Seconds = Record<string, number>;

/**
 * The 10 M ledger: the 10 k one grown to LARGE_FLOWS over LARGE_PERSONS persons, frozen, sealed,
 * verified in full and folded into the checkpoint; the seconds each step took. A kept ledger
 * (SCALE_KEEP) is measured as it is.
 */
async function buildLarge(app: INestApplicationContext): Promise<Seconds | undefined> {
  const transactions = app.get(Transactions);
  const ledger = app.get(LedgerService);
  const sealer = app.get(SealerService);
  const [{ n: kept }] = await transactions.manager.query('SELECT count(*)::int AS n FROM credit.flows');
  if (kept >= LARGE_FLOWS) {
    say(`measuring the kept ledger of ${kept.toLocaleString('en')} flows`);
    return undefined;
  }
  if (kept > 0) throw new Error(`the kept database ${DATABASE} holds ${kept} flows, fewer than ${LARGE_FLOWS}: a build was interrupted; run once without SCALE_KEEP`);
  const timed = async (work: () => Promise<unknown>) => {
    const start = Date.now();
    await work();
    return (Date.now() - start) / 1000;
  };
  say(`growing to ${LARGE_FLOWS.toLocaleString('en')} flows over ${LARGE_PERSONS.toLocaleString('en')} persons`);
  const seconds: Seconds = {};
  seconds['build (generate + balances)'] = await timed(async () => {
    await addPersons(transactions, 1, LARGE_PERSONS);
    await grow(transactions, { flows: SMALL_FLOWS, persons: SMALL_PERSONS, firstNewPerson: 1 });
    await grow(transactions, { flows: LARGE_FLOWS, persons: LARGE_PERSONS, firstNewPerson: SMALL_PERSONS + 1, log: say });
  });
  seconds['VACUUM (FREEZE, ANALYZE) credit.flows after the build'] = await timed(() => transactions.manager.query('VACUUM (FREEZE, ANALYZE) credit.flows'));
  say('sealing');
  seconds['sealer: first pass over every flow'] = await timed(() => sealer.sealOnce());
  seconds['verify({full: true}): balances + every seal recomputed'] = await timed(async () => {
    const full = await ledger.verify({ full: true });
    if (!full.ok) throw new Error(`the generated ledger does not verify: ${JSON.stringify(full, jsonBigint)}`);
    say(`verify({full: true}) ok over ${full.checkedFlows.toLocaleString('en')} flows`);
  });
  seconds['first fold into the verification checkpoint'] = await timed(() => ledger.checkpoint());
  return seconds;
}

/** After the runs: how long the build took (when this run built it), a VACUUM of the grown table, the table's size. */
async function report(app: INestApplicationContext, build: Seconds | undefined): Promise<void> {
  const transactions = app.get(Transactions);
  const vacuumStart = Date.now();
  await transactions.manager.query('VACUUM credit.flows');
  const steps = { ...build, 'VACUUM credit.flows after the measurements': (Date.now() - vacuumStart) / 1000 };
  console.table(Object.entries(steps).map(([what, seconds]) => ({ what, seconds: seconds.toFixed(1) })));
  const [size] = await transactions.manager.query(
    `SELECT pg_relation_size('credit.flows') AS heap, pg_indexes_size('credit.flows') AS indexes,
            pg_total_relation_size('credit.flows') AS total, (SELECT count(*) FROM credit.flows) AS flows,
            pg_total_relation_size('credit.balances') AS balances`,
  );
  const gib = (bytes: string) => Number(bytes) / 2 ** 30;
  console.log(
    `credit.flows: ${Number(size.flows).toLocaleString('en')} flows, heap ${gib(size.heap).toFixed(2)} GiB + indexes ${gib(size.indexes).toFixed(2)} GiB = ` +
      `${gib(size.total).toFixed(2)} GiB (${Math.round(Number(size.flows) / gib(size.total)).toLocaleString('en')} flows per GiB); credit.balances ${(Number(size.balances) / 2 ** 20).toFixed(0)} MiB`,
  );
}

/** The app on `databaseUrl` (as its owner) for `work`, closed afterwards. */
async function withApp<T>(databaseUrl: string, work: (app: INestApplicationContext) => Promise<T>): Promise<T> {
  // The scheduler off (SCHEDULER_TICK_MS=0): the bench seals, folds and verifies itself, so the
  // sealer and reconciler neither run in the middle of a measurement nor hide the sealing time.
  const config = loadConfig({ ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent', SCHEDULER_TICK_MS: '0' });
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(config), { logger: false });
  try {
    return await work(app);
  } finally {
    await app.close();
  }
}

/** Diagnostics: the server logs every statement of this database slower than `ms` (superuser only; new sessions). */
async function logSlowStatements(databaseUrl: string, ms: number): Promise<void> {
  const admin = new Client({ connectionString: databaseUrl });
  await admin.connect();
  await admin.query(`ALTER DATABASE ${new URL(databaseUrl).pathname.slice(1)} SET log_min_duration_statement = ${ms}`);
  await admin.end();
}

/** A copy of the database at `templateUrl` under another name (no one may be connected to the template). */
async function freshCopy(templateUrl: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const template = new URL(templateUrl).pathname.slice(1);
  const copy = new URL(templateUrl);
  copy.pathname = `/${template}_run`;
  const admin = new Client({ connectionString: loadConfig(process.env).databaseMigrationUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${template}_run WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${template}_run TEMPLATE ${template}`);
  return {
    url: copy.toString(),
    drop: async () => {
      await admin.query(`DROP DATABASE ${template}_run WITH (FORCE)`);
      await admin.end();
    },
  };
}

/** measure() on `databaseUrl` in a fork of this process: a heap, a pool and server backends of its own. */
async function inFreshProcess(ledger: string, databaseUrl: string): Promise<Run> {
  const at = new Date().toISOString().slice(11, 19);
  const loadBefore = loadAverage().split(' ')[0];
  const child = fork(__filename, [], { env: { ...process.env, SCALE_MEASURE_URL: databaseUrl } });
  const figures = await new Promise<Figures>((resolve, reject) => {
    let sent: Figures | undefined;
    child.on('message', (message) => (sent = message as Figures));
    child.on('exit', (code) => (sent && code === 0 ? resolve(sent) : reject(new Error(`the ${ledger} measurement exited with ${code}`))));
  });
  const run = { ...figures, ledger, at, loadBefore, loadAfter: loadAverage().split(' ')[0] };
  say(`${ledger}: ${fmt(run.turns)} turns/s, ${fmt(run.creditReads)} credit reads/s, ${fmt(run.historyPages)} pages/s, verify ${fmt(run.verifyCpuMs)} CPU-ms (${run.flows.toLocaleString('en')} flows)`);
  return run;
}

/** The measured operations on the ledger at `app`'s database (the 16 persons 1…16 pay and read). */
async function measure(app: INestApplicationContext): Promise<Figures> {
  const transactions = app.get(Transactions);
  const ledger = app.get(LedgerService);
  const sealer = app.get(SealerService);
  await app.get(SystemConfigService).set('max_turns_in_flight', 1000);
  const people = Array.from({ length: PARALLEL }, (_, i) => personId(i + 1));
  const turn = turnCreditWork(app);

  await transactions.manager.query('VACUUM ANALYZE credit.flows');
  await transactions.manager.query('VACUUM ANALYZE credit.balances');
  // Each loop runs for a second before it is measured: in a fresh process the pool opens its 16
  // connections then, and their new backends fill their caches, which would otherwise count as
  // the first measured calls' CPU.
  const warmed = async (workers: Array<() => Promise<unknown>>) => {
    await throughput(workers, 1);
    return workers;
  };
  const turns16 = await warmed(people.map((id) => turn(id)));
  const cpuBefore = await postgresCpuMs(transactions);
  const turns = await throughput(turns16);
  const pgCoreSeconds = ((await postgresCpuMs(transactions)) - cpuBefore) / 1000;
  // Each read's Postgres CPU as well: its throughput moves with the machine's load, its CPU hardly.
  const creditReads16 = await warmed(people.map((id) => () => ledger.creditSummary(id)));
  let cpuBeforeReads = await postgresCpuMs(transactions);
  const creditReads = await throughput(creditReads16);
  const creditCpuMs = ((await postgresCpuMs(transactions)) - cpuBeforeReads) / (creditReads * SECONDS);
  const pages16 = await warmed(people.map((id) => () => ledger.flows(id, { limit: 50 })));
  cpuBeforeReads = await postgresCpuMs(transactions);
  const nodeBefore = process.cpuUsage();
  const historyPages = await throughput(pages16);
  const historyCpuMs = ((await postgresCpuMs(transactions)) - cpuBeforeReads) / (historyPages * SECONDS);
  const nodeUsed = process.cpuUsage(nodeBefore);
  const historyNodeCpuMs = (nodeUsed.user + nodeUsed.system) / 1000 / (historyPages * SECONDS);
  const historyPlan = await serverWork(transactions, await statementOf(() => ledger.flows(people[1], { limit: 50 }), 'FROM credit.flows'));
  const creditPlan = await serverWork(transactions, await statementOf(() => ledger.creditSummary(people[1]), 'credit.credit_view'));
  // Incremental verify: the sealed ledger folded into the checkpoint, then 1,000 new sealed flows.
  await sealer.sealOnce();
  await ledger.checkpoint();
  let verifySeconds = Infinity;
  for (let round = 0; round < 3; round++) {
    await addConsumptions(transactions, VERIFY_NEW_FLOWS, SMALL_PERSONS);
    await sealer.sealOnce();
    const start = process.hrtime.bigint();
    const report = await ledger.verify();
    verifySeconds = Math.min(verifySeconds, Number(process.hrtime.bigint() - start) / 1e9);
    if (!report.ok) throw new Error(`the bench ledger does not verify: ${JSON.stringify(report, jsonBigint)}`);
    await ledger.checkpoint();
  }
  // The same verification repeated, by the CPU its backends spent: the machine's load stretches
  // a call's wall time, hardly its CPU time (ticks of 10 ms, hence many calls).
  await addConsumptions(transactions, VERIFY_NEW_FLOWS, SMALL_PERSONS);
  await sealer.sealOnce();
  const verifyCpuBefore = await postgresCpuMs(transactions);
  for (let call = 0; call < VERIFY_CPU_CALLS; call++) await ledger.verify();
  const verifyCpuMs = ((await postgresCpuMs(transactions)) - verifyCpuBefore) / VERIFY_CPU_CALLS;
  await ledger.checkpoint();
  // The last flow's id for the number of flows: counting 10 M would take seconds.
  const [{ balances, flows }] = await transactions.manager.query(
    'SELECT (SELECT count(*)::int FROM credit.balances) AS balances, (SELECT max(id)::int FROM credit.flows) AS flows',
  );
  return { turns, pgCoreSeconds, creditReads, creditCpuMs, historyPages, historyCpuMs, historyNodeCpuMs, historyPlan, creditPlan, verifySeconds, verifyCpuMs, balances, flows };
}

async function addPersons(transactions: Transactions, from: number, to: number): Promise<void> {
  // persons → engagements is checked at commit; engagements → persons at once: persons first.
  await transactions.run(async (tx) => {
    await tx.query(
      `INSERT INTO persons (id, email, display_name, personal_engagement_id, created_at)
       SELECT ${PERSON_SQL('i')}, 'scale' || i || '@example.com', 'Scale', ('00000000-0000-4000-8000-' || lpad(to_hex(i), 12, '0'))::uuid, now()
         FROM generate_series($1::int, $2::int) i`,
      [from, to],
    );
    await tx.query(
      `INSERT INTO engagements (id, name, personal, owner_person_id, created_at)
       SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(i), 12, '0'))::uuid, 'Scale', true, ${PERSON_SQL('i')}, now()
         FROM generate_series($1::int, $2::int) i`,
      [from, to],
    );
  });
}

/**
 * Grows the ledger to `flows` flows: a grant's issuance for persons firstNewPerson..persons, then
 * turns (4 flows each) paid by person (t mod persons) + 1, in chunks of CHUNK_FLOWS, each chunk one
 * transaction with the balance triggers off and its balances added from its flows.
 */
async function grow(
  transactions: Transactions,
  target: { flows: number; persons: number; firstNewPerson: number; log?: (line: string) => void },
): Promise<number> {
  const count = async () => Number((await transactions.manager.query('SELECT count(*) AS n FROM credit.flows'))[0].n);
  await chunk(transactions, (tx) =>
    tx.query(
      `INSERT INTO credit.flows (kind, asset, amount, from_party, to_party, person_id, idempotency_key, metadata, created_at)
       SELECT 'issuance', 'haiku', 1000000000, 'system:issuer', 'person:' || p, p, 'grant:' || g, '{}'::jsonb, now() - interval '1 year'
         FROM (SELECT ${PERSON_SQL('i')} AS p, md5('grant' || i)::uuid AS g FROM generate_series($1::int, $2::int) i) grants`,
      [target.firstNewPerson, target.persons],
    ),
  );
  let have = await count();
  const [{ turns }] = await transactions.manager.query("SELECT count(*)::int AS turns FROM credit.flows WHERE kind = 'hold'");
  let nextTurn: number = turns;
  while (have < target.flows) {
    const turnsNow = Math.min(CHUNK_FLOWS, target.flows - have) / 4;
    const first = nextTurn;
    const last = first + Math.floor(turnsNow) - 1;
    if (last < first) break;
    await chunk(transactions, (tx) =>
      tx.query(
        `INSERT INTO credit.flows (kind, asset, amount, from_party, to_party, person_id, idempotency_key, metadata, created_at)
         SELECT f.kind, 'haiku', f.amount, f.from_party, f.to_party, t.p, f.key, f.metadata, t.at
           FROM (SELECT t, ${PERSON_SQL('1 + t % $3')} AS p, md5('turn' || t)::uuid AS turn, md5('hold' || t)::uuid AS hold,
                        now() - interval '1 year' + t * interval '3 seconds' AS at
                   FROM generate_series($1::int, $2::int) t) t,
                LATERAL (VALUES
                  (1, 'hold', 7, 'person:' || t.p, 'system:held', 'hold:' || t.hold,
                   jsonb_build_object('holdId', t.hold, 'turnId', t.turn)),
                  (2, 'release', 7, 'system:held', 'person:' || t.p, 'release:' || t.hold,
                   jsonb_build_object('holdId', t.hold, 'turnId', t.turn, 'reason', 'settled')),
                  (3, 'consumption', 1, 'person:' || t.p, 'system:consumed', 'turn:' || t.turn || ':classify',
                   jsonb_build_object('turnId', t.turn, 'stage', 'classify', 'model', '${HAIKU}', 'holdId', t.hold,
                     'tokens', jsonb_build_object('input', 200, 'output', 3), 'rates', jsonb_build_array(jsonb_build_object('id', '1', 'tokenKind', 'input')))),
                  (4, 'consumption', 1 + t.t % 5, 'person:' || t.p, 'system:consumed', 'turn:' || t.turn || ':respond',
                   jsonb_build_object('turnId', t.turn, 'stage', 'respond', 'model', '${HAIKU}', 'holdId', t.hold,
                     'tokens', jsonb_build_object('input', 600, 'output', 180), 'rates', jsonb_build_array(jsonb_build_object('id', '1', 'tokenKind', 'input'))))
                ) AS f (n, kind, amount, from_party, to_party, key, metadata)
          ORDER BY t.t, f.n`,
        [first, last, target.persons],
      ),
    );
    nextTurn = last + 1;
    have += 4 * (last - first + 1);
    target.log?.(`${have.toLocaleString('en')} flows`);
  }
  return have;
}

/** One chunk: the balance triggers off (as the table owner), the chunk's flows, their balances. */
async function chunk(transactions: Transactions, insert: (tx: Parameters<Parameters<Transactions['run']>[0]>[0]) => Promise<unknown>): Promise<void> {
  await transactions.run(async (tx) => {
    const [{ before }] = await tx.query('SELECT coalesce(max(id), 0)::text AS before FROM credit.flows');
    await tx.query('ALTER TABLE credit.flows DISABLE TRIGGER flows_apply');
    await tx.query('ALTER TABLE credit.flows DISABLE TRIGGER flows_rearm_exhaustion');
    // The balances below are flows_apply's writes, in bulk: not writes outside a flow to watch.
    await tx.query('ALTER TABLE credit.balances DISABLE TRIGGER balances_watch');
    await insert(tx);
    // What flows_apply would have written, row by row: each flow's two sides on their balance slots.
    await tx.query(
      `INSERT INTO credit.balances AS b (party, asset, slot, amount)
       SELECT party, asset, slot, sum(delta)
         FROM (SELECT from_party AS party, asset, credit.balance_slot(from_party, person_id) AS slot, -amount AS delta FROM credit.flows WHERE id > $1
               UNION ALL
               SELECT to_party, asset, credit.balance_slot(to_party, person_id), amount FROM credit.flows WHERE id > $1) moves
        GROUP BY party, asset, slot
       ON CONFLICT (party, asset, slot) DO UPDATE SET amount = b.amount + EXCLUDED.amount`,
      [before],
    );
    await tx.query('ALTER TABLE credit.flows ENABLE TRIGGER flows_apply');
    await tx.query('ALTER TABLE credit.flows ENABLE TRIGGER flows_rearm_exhaustion');
    await tx.query('ALTER TABLE credit.balances ENABLE TRIGGER balances_watch');
  });
}

/** Consumption flows through the balance trigger, as turns would write them (persons 1..among). */
async function addConsumptions(transactions: Transactions, count: number, among: number): Promise<void> {
  await transactions.manager.query(
    `INSERT INTO credit.flows (kind, asset, amount, from_party, to_party, person_id, idempotency_key, created_at)
     SELECT 'consumption', 'haiku', 3, 'person:' || p, 'system:consumed', p, 'bench:' || gen_random_uuid(), now()
       FROM (SELECT ${PERSON_SQL('1 + i % $2')} AS p FROM generate_series(1, $1) i) c`,
    [count, among],
  );
}

interface PlanFigures {
  ms: number;
  buffers: number;
  /** the most rows any step of the plan handled (a page's worth, or the person's whole history) */
  rows: number;
}

interface Statement {
  text: string;
  values: unknown[];
}

/**
 * The statement `work` sends whose text contains `marker`, with its values, as pg's Client got it:
 * the app's own SQL, so the EXPLAIN below is of what the app runs (until 2026-12-06 the bench
 * EXPLAINed a query of its own, which left out the party test that made the app's plan differ).
 */
async function statementOf(work: () => Promise<unknown>, marker: string): Promise<Statement> {
  const original = Client.prototype.query;
  let sent: Statement | undefined;
  Client.prototype.query = function (this: Client, ...args: unknown[]) {
    const [sql, values] = args as [string | { text: string; values?: unknown[] }, unknown];
    const text = typeof sql === 'string' ? sql : sql.text;
    if (!sent && text.includes(marker)) sent = { text, values: Array.isArray(values) ? values : typeof sql === 'string' ? [] : (sql.values ?? []) };
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof original;
  try {
    await work();
  } finally {
    Client.prototype.query = original;
  }
  if (!sent) throw new Error(`no statement containing ${marker}`);
  return sent;
}

interface PlanNode {
  'Actual Rows': number;
  Plans?: PlanNode[];
}
const mostRows = (node: PlanNode): number => Math.max(node['Actual Rows'], ...(node.Plans ?? []).map(mostRows));

/** The statement under EXPLAIN (ANALYZE, BUFFERS) five times: the best execution time, the buffers it touched, the rows. */
async function serverWork(transactions: Transactions, statement: Statement): Promise<PlanFigures> {
  let best: PlanFigures = { ms: Infinity, buffers: 0, rows: 0 };
  for (let i = 0; i < 5; i++) {
    const [row]: { 'QUERY PLAN': Array<{ 'Execution Time': number; Plan: PlanNode & Record<string, number> }> }[] = await transactions.manager.query(
      `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${statement.text}`,
      statement.values,
    );
    const [{ 'Execution Time': ms, Plan: top }] = row['QUERY PLAN'];
    if (ms < best.ms) best = { ms, buffers: top['Shared Hit Blocks'] + top['Shared Read Blocks'], rows: mostRows(top) };
  }
  return best;
}

const fmt = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en') : n >= 1 ? n.toFixed(1) : n.toFixed(3));
const jsonBigint = (_key: string, value: unknown) => (typeof value === 'bigint' ? value.toString() : value);

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
