/**
 * Ten million flows (issue 24): the hot operations with 10 k flows in the ledger beside 10 M flows
 * over 100 k persons, in one run, on one database that grows from the first size to the second:
 *   - a turn's credit work (place the hold, settle two stages), 16 persons in parallel, turns/s, and
 *     the Postgres CPU it took (turns per Postgres core-second: the capacity figure of docs/scaling.md);
 *   - GET /me/credit's read (LedgerService.creditSummary: credit.credit_view), 16 in parallel;
 *   - GET /me/flows' first page (LedgerService.flows, 50 newest), 16 in parallel;
 *   - incremental verify() with 1,000 sealed flows past the checkpoint, best of 3, and the Postgres
 *     CPU it takes per call (30 calls), which the machine's load hardly changes.
 * At 10 M it also seals every flow, runs verify({full: true}) (every balance and every seal
 * recomputed: the generated ledger must verify), times VACUUM and reports the table's size.
 *
 * The ledger is generated in SQL (generate_series, INSERT … SELECT in chunks of 1 M flows) in the
 * shapes the ledger writes them: an issuance per person (key grant:<id>, no grants row), then turns of four flows (hold,
 * release, classify and respond consumptions; the keys and metadata of write_hold / settle_hold),
 * turn t paid by person t mod P, one turn every few seconds over the past year. The balance
 * triggers are disabled by the table owner for each chunk (a per-row upsert would take an hour at
 * 10 M) and the chunk's balances are added by one aggregate over its flows: exactly what the trigger
 * would have written, which verify({full: true}) checks at the end. Holds rows of the generated
 * turns are not written (they are settled; only active holds are read by the measured paths).
 *
 * Per person, the history is the same at both sizes (~100 flows: 100 persons at 10 k, 100 k at
 * 10 M): what grows is the table, the index and the number of persons and balances. Except for the
 * 16 measured persons: their turns at 10 k stay in their history, so at 10 M it is about twice as
 * long (~380 → ~840 flows in docs/scaling.md run 7) — which history's first page must not feel (it reads 51 rows).
 *
 * Run: npm run bench:scale   (DATABASE_URL as the tables' owner, or the embedded cluster; makes
 * and drops the database loomworks_scale_bench; ~4 GB of disk, ~10-20 min on 2 busy cores).
 * SCALE_FLOWS overrides the large size (e.g. 1000000 for a quick run). SCALE_KEEP=1 leaves the
 * database behind (superuser URL printed at the end) to study the 10 M ledger without building it
 * again; SCALE_DATABASE names it (default loomworks_scale_bench), so two sizes can be kept side by side.
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { NestFactory } from '@nestjs/core';
import { Client } from 'pg';
import { loadConfig } from '@loomworks/config';
import { type PlaceHoldCommand } from '@loomworks/credit';
import { HoldsService, LedgerService, SealerService } from '@loomworks/credit/staff';
import { Transactions } from '@loomworks/database';
import { SystemConfigService } from '@loomworks/system-config';
import { AppModule } from '../apps/api/src/app.module';
import { postgresCpuMs, SECONDS, serverVersion, throughput } from './bench-kit';
import { withScratchDatabase } from './scratch-database';

const LARGE_FLOWS = Number(process.env.SCALE_FLOWS ?? 10_000_000);
const LARGE_PERSONS = Math.max(1_000, Math.round(LARGE_FLOWS / 100));
const SMALL_FLOWS = 10_000;
const SMALL_PERSONS = 100;
const CHUNK_FLOWS = 1_000_000;
const PARALLEL = 16;
const VERIFY_NEW_FLOWS = 1_000;
const VERIFY_CPU_CALLS = 30;
const HAIKU = 'claude-haiku-4-5-20251001';
const usage = { input: 300, output: 200, cacheRead: 0, cacheWrite: 0 };

/** Person n's id (n from 1): deterministic, so SQL and the bench name the same people. */
const personId = (n: number) => `00000000-0000-4000-9000-${n.toString(16).padStart(12, '0')}`;
const PERSON_SQL = (n: string) => `('00000000-0000-4000-9000-' || lpad(to_hex(${n}), 12, '0'))::uuid`;

interface Figures {
  turns: number;
  pgCoreSeconds: number;
  creditReads: number;
  /** Postgres CPU per read in the 16-way loop (all of this database's backends), ms */
  creditCpuMs: number;
  historyPages: number;
  historyCpuMs: number;
  /** the bench's own process (the app's side of a page: pool, driver, row conversion), ms of CPU per page */
  historyNodeCpuMs: number;
  /** Postgres's own work per read, independent of the machine's load: best execution ms and buffers touched */
  historyPlan: PlanFigures;
  creditPlan: PlanFigures;
  verifySeconds: number;
  /** Postgres CPU per incremental verify() */
  verifyCpuMs: number;
  balances: number;
}

async function main() {
  await withScratchDatabase(run, process.env.SCALE_DATABASE ?? 'loomworks_scale_bench', { keep: process.env.SCALE_KEEP === '1' });
}

async function run(databaseUrl: string) {
  // The scheduler off (SCHEDULER_TICK_MS=0): the bench seals, folds and verifies itself, so the
  // sealer and reconciler neither run in the middle of a measurement nor hide the sealing time.
  const config = loadConfig({ ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent', SCHEDULER_TICK_MS: '0' });
  if (process.env.SCALE_LOG_SLOW_MS) {
    // Diagnostics: the server logs every statement of this database slower than this (superuser only).
    const admin = new Client({ connectionString: databaseUrl });
    await admin.connect();
    await admin.query(`ALTER DATABASE ${new URL(databaseUrl).pathname.slice(1)} SET log_min_duration_statement = ${Number(process.env.SCALE_LOG_SLOW_MS)}`);
    await admin.end();
  }
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(config), { logger: false });
  const transactions = app.get(Transactions);
  const holds = app.get(HoldsService);
  const ledger = app.get(LedgerService);
  const sealer = app.get(SealerService);
  await app.get(SystemConfigService).set('max_turns_in_flight', 1000);
  const say = (line: string) => console.log(`[${new Date().toISOString().slice(11, 19)} load ${loadavg()[0].toFixed(1)}] ${line}`);
  say(`Postgres ${await serverVersion(transactions)}; building ${SMALL_FLOWS.toLocaleString('en')} flows over ${SMALL_PERSONS} persons`);

  await addPersons(transactions, 1, LARGE_PERSONS);
  let built = await grow(transactions, { flows: SMALL_FLOWS, persons: SMALL_PERSONS, firstNewPerson: 1 });
  const people = Array.from({ length: PARALLEL }, (_, i) => personId(i + 1));

  const command = (id: string): PlaceHoldCommand => ({
    personId: id,
    turnId: randomUUID(),
    classify: { inputTokens: 200, maxTokens: 10 },
    respond: { inputTokens: 600, maxTokens: 1024 },
  });
  const turn = (id: string) => async () => {
    const cmd = command(id);
    const placed = await holds.place(cmd);
    if (placed.status !== 'placed') throw new Error(`hold not placed: ${placed.status}`);
    await transactions.run((tx) =>
      holds.settle({ holdId: placed.hold.id, turnId: cmd.turnId, stages: [{ stage: 'classify', model: HAIKU, usage }, { stage: 'respond', model: HAIKU, usage }] }, tx),
    );
  };

  const measure = async (): Promise<Figures> => {
    await transactions.manager.query('VACUUM ANALYZE credit.flows');
    await transactions.manager.query('VACUUM ANALYZE credit.balances');
    await throughput([turn(people[0])], 1); // warm up
    const cpuBefore = await postgresCpuMs(transactions);
    const turns = await throughput(people.map(turn));
    const pgCoreSeconds = ((await postgresCpuMs(transactions)) - cpuBefore) / 1000;
    // Each read's Postgres CPU as well: its throughput moves with the machine's load, its CPU hardly.
    let cpuBeforeReads = await postgresCpuMs(transactions);
    const creditReads = await throughput(people.map((id) => () => ledger.creditSummary(id)));
    const creditCpuMs = ((await postgresCpuMs(transactions)) - cpuBeforeReads) / (creditReads * SECONDS);
    cpuBeforeReads = await postgresCpuMs(transactions);
    const nodeBefore = process.cpuUsage();
    const historyPages = await throughput(people.map((id) => () => ledger.flows(id, { limit: 50 })));
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
    const [{ n }] = await transactions.manager.query('SELECT count(*)::int AS n FROM credit.balances');
    return { turns, pgCoreSeconds, creditReads, creditCpuMs, historyPages, historyCpuMs, historyNodeCpuMs, historyPlan, creditPlan, verifySeconds, verifyCpuMs, balances: n };
  };

  const small = await measure();
  say(`measured at ${built.toLocaleString('en')} flows; growing to ${LARGE_FLOWS.toLocaleString('en')} over ${LARGE_PERSONS.toLocaleString('en')} persons`);
  const buildStart = Date.now();
  built = await grow(transactions, { flows: LARGE_FLOWS, persons: LARGE_PERSONS, firstNewPerson: SMALL_PERSONS + 1, log: say });
  const buildSeconds = (Date.now() - buildStart) / 1000;
  const vacuumStart = Date.now();
  await transactions.manager.query('VACUUM (FREEZE, ANALYZE) credit.flows');
  const freezeSeconds = (Date.now() - vacuumStart) / 1000;
  say(`built ${built.toLocaleString('en')} flows in ${buildSeconds.toFixed(0)} s; VACUUM (FREEZE, ANALYZE) credit.flows ${freezeSeconds.toFixed(0)} s; sealing`);
  const sealStart = Date.now();
  await sealer.sealOnce();
  const sealSeconds = (Date.now() - sealStart) / 1000;
  const fullStart = Date.now();
  const full = await ledger.verify({ full: true });
  const fullSeconds = (Date.now() - fullStart) / 1000;
  if (!full.ok) throw new Error(`the generated ledger does not verify: ${JSON.stringify(full, jsonBigint)}`);
  say(`sealed in ${sealSeconds.toFixed(0)} s; verify({full: true}) ok over ${full.checkedFlows.toLocaleString('en')} flows in ${fullSeconds.toFixed(0)} s`);
  const foldStart = Date.now();
  await ledger.checkpoint();
  const foldSeconds = (Date.now() - foldStart) / 1000;

  const large = await measure();
  const vacuumAgain = Date.now();
  await transactions.manager.query('VACUUM credit.flows');
  const steadyVacuumSeconds = (Date.now() - vacuumAgain) / 1000;
  const [size] = await transactions.manager.query(
    `SELECT pg_relation_size('credit.flows') AS heap, pg_indexes_size('credit.flows') AS indexes,
            pg_total_relation_size('credit.flows') AS total, (SELECT count(*) FROM credit.flows) AS flows,
            pg_total_relation_size('credit.balances') AS balances`,
  );
  const gib = (bytes: string) => Number(bytes) / 2 ** 30;

  console.log(`\nThe hot operations at ${SMALL_FLOWS.toLocaleString('en')} flows (${SMALL_PERSONS} persons) and ${LARGE_FLOWS.toLocaleString('en')} flows (${LARGE_PERSONS.toLocaleString('en')} persons), ${PARALLEL} in parallel`);
  const row = (what: string, a: number, b: number, unit: string, slowdown: number) => ({
    what,
    [`at ${SMALL_FLOWS / 1000} k`]: `${fmt(a)} ${unit}`,
    [`at ${LARGE_FLOWS / 1e6} M`]: `${fmt(b)} ${unit}`,
    'slowdown (target ≤ 1.2)': slowdown.toFixed(2),
  });
  console.table([
    row('place hold + settle 2 stages', small.turns, large.turns, 'turns/s', small.turns / large.turns),
    row('/me/credit read (credit_view)', small.creditReads, large.creditReads, 'reads/s', small.creditReads / large.creditReads),
    row('/me/credit read: Postgres CPU per read', small.creditCpuMs, large.creditCpuMs, 'ms', large.creditCpuMs / small.creditCpuMs),
    row('/me/flows first page (50)', small.historyPages, large.historyPages, 'pages/s', small.historyPages / large.historyPages),
    row('/me/flows first page: Postgres CPU per page', small.historyCpuMs, large.historyCpuMs, 'ms', large.historyCpuMs / small.historyCpuMs),
    row('/me/flows first page: API (Node) CPU per page', small.historyNodeCpuMs, large.historyNodeCpuMs, 'ms', large.historyNodeCpuMs / small.historyNodeCpuMs),
    row(`verify(), ${VERIFY_NEW_FLOWS} new flows (best of 3)`, small.verifySeconds * 1000, large.verifySeconds * 1000, 'ms', large.verifySeconds / small.verifySeconds),
    row(`verify(), ${VERIFY_NEW_FLOWS} new flows: Postgres CPU per call (${VERIFY_CPU_CALLS} calls)`, small.verifyCpuMs, large.verifyCpuMs, 'ms', large.verifyCpuMs / small.verifyCpuMs),
  ]);
  const plan = (what: string, a: PlanFigures, b: PlanFigures) => ({
    what,
    'at 10 k: ms, buffers, rows': `${a.ms.toFixed(3)} ms, ${a.buffers}, ${a.rows}`,
    [`at ${LARGE_FLOWS / 1e6} M: ms, buffers, rows`]: `${b.ms.toFixed(3)} ms, ${b.buffers}, ${b.rows}`,
    'slowdown (ms)': (b.ms / a.ms).toFixed(2),
  });
  console.log(
    "Server work per read (the app's statement under EXPLAIN ANALYZE, best of 5 execution times; shared buffers touched; most rows of any step), unaffected by the load on the machine",
  );
  console.table([plan('/me/flows first page (LedgerService.flows, 50)', small.historyPlan, large.historyPlan), plan('/me/credit: credit.credit_view', small.creditPlan, large.creditPlan)]);
  console.log(`balance rows (verify?full compares them all; the incremental verify only those touched or watched): ${small.balances.toLocaleString('en')} at 10 k, ${large.balances.toLocaleString('en')} at ${LARGE_FLOWS / 1e6} M`);
  const perCore = (f: Figures) => (f.turns * SECONDS) / f.pgCoreSeconds;
  console.log(`turns per Postgres core-second (turns ÷ CPU seconds of this database's backends): ${perCore(small).toFixed(0)} at 10 k, ${perCore(large).toFixed(0)} at ${LARGE_FLOWS / 1e6} M`);
  console.table([
    { what: 'build (generate + balances), large part', seconds: buildSeconds.toFixed(0) },
    { what: 'VACUUM (FREEZE, ANALYZE) credit.flows after the build', seconds: freezeSeconds.toFixed(0) },
    { what: 'VACUUM credit.flows after the measurements', seconds: steadyVacuumSeconds.toFixed(1) },
    { what: 'sealer: first pass over every flow', seconds: sealSeconds.toFixed(0) },
    { what: 'verify({full: true}): balances + every seal recomputed', seconds: fullSeconds.toFixed(0) },
    { what: 'first fold into the verification checkpoint', seconds: foldSeconds.toFixed(0) },
  ]);
  console.log(
    `credit.flows: ${Number(size.flows).toLocaleString('en')} flows, heap ${gib(size.heap).toFixed(2)} GiB + indexes ${gib(size.indexes).toFixed(2)} GiB = ` +
      `${gib(size.total).toFixed(2)} GiB (${Math.round(Number(size.flows) / gib(size.total)).toLocaleString('en')} flows per GiB); credit.balances ${(Number(size.balances) / 2 ** 20).toFixed(0)} MiB`,
  );
  say('done');
  await app.close();
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
