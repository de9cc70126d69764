/**
 * What one ledger call costs the server, load-independently enough to compare two versions on a
 * busy machine: the statements it executes (nested ones inside the SQL functions included;
 * pg_stat_statements with track = all) and the CPU time of the backend that ran it
 * (/proc/<pid>/schedstat, so the server must run on this machine), per call of a turn's placement
 * (credit.place_hold) and settlement (credit.settle_hold, 2 stages, in a transaction as a converse
 * turn does) and of a Messages API request's placement (place_key_request_hold) and settlement
 * (settle_request_call). One connection, calls in turn, each call's SQL as its repository sends it.
 * CPU is reported as the median per call: pg_stat_statements' times leave out executor start-up,
 * which is where most of these calls' CPU goes.
 *   CALLS (default 400) turns measured after 100 warm-up turns.
 *   CALLS_BASELINE=<dir of function files> (e.g. `git show` of an older commit's
 *     libs/credit/src/persistence/sql and libs/gateway/src/persistence/sql, in one directory):
 *     A/B — a copy of the database gets those definitions and its calls are interleaved one by
 *     one with this code's, so both see the same load. The baseline sends the converse statements
 *     unprepared, as before they were prepared, unless CALLS_PREPARED=1.
 *   CALLS_DETAIL=1 lists every statement the measured calls ran, with its mean time.
 *   CALLS_COUNT=0 skips the statement counting (e.g. under perf).
 *   CALLS_POOL=1 binds each person's API key to a team engagement of theirs whose pool pays the
 *     Messages API calls (the converse calls stay on the persons' own credit).
 * Statements are counted only when the server preloads pg_stat_statements with
 * pg_stat_statements.track = all. Run:
 *   node scripts/with-db.mjs node -r @swc-node/register bench/credit-calls.bench.ts
 */
import 'reflect-metadata';
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { NestFactory } from '@nestjs/core';
import { Client } from 'pg';
import { loadConfig } from '@loomworks/config';
import { type FunctionFile, readFunctionFiles } from '@loomworks/database';
import { LedgerService } from '@loomworks/credit/staff';
import { SystemConfigService } from '@loomworks/system-config';
import { AppModule } from '../apps/api/src/app.module';
import { fundedPersons, median } from './bench-kit';
import { withScratchDatabase } from './scratch-database';

const HAIKU = 'claude-haiku-4-5-20251001';
const CALLS = Number(process.env.CALLS ?? 400);
const WARMUP = 100;
const PERSONS = 4;
const usage = { input: 300, output: 200, cacheRead: 0, cacheWrite: 0 };
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
/** CALLS_POOL=1: each person's key draws this team engagement's pool */
const poolOf = new Map<string, string>();
const NAMES = ['place_hold', 'settle_hold', 'place_key_request_hold', 'settle_request_call'] as const;
type Name = (typeof NAMES)[number];

async function main() {
  // the baseline's copy of the scratch database is dropped with it
  await withScratchDatabase(async (url) => {
    try {
      await run(url);
    } finally {
      const admin = new Client({ connectionString: url });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${new URL(url).pathname.slice(1)}_before WITH (FORCE)`);
      await admin.end();
    }
  });
}

async function run(databaseUrl: string) {
  const config = loadConfig({ ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent' });
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(config), { logger: false });
  await app.get(SystemConfigService).set('max_turns_in_flight', 1000);
  const people = await fundedPersons(app, PERSONS);
  const keys: Buffer[] = [];
  const setup = new Client({ connectionString: databaseUrl });
  await setup.connect();
  for (const person of people) {
    const sha = createHash('sha256').update(randomUUID()).digest();
    await setup.query(
      `INSERT INTO api_keys (id, person_id, name, prefix, key_sha256, created_at) VALUES ($1, $2, 'bench', 'lw_bench', $3, now())`,
      [randomUUID(), person, sha],
    );
    keys.push(sha);
    if (process.env.CALLS_POOL === '1') {
      const engagement = randomUUID();
      await setup.query(
        `INSERT INTO engagements (id, name, personal, owner_person_id, created_at) VALUES ($1, 'Bench pool', false, $2, now())`,
        [engagement, person],
      );
      await setup.query(`INSERT INTO engagement_members (engagement_id, person_id, role, created_at) VALUES ($1, $2, 'owner', now())`, [engagement, person]);
      await app.get(LedgerService).adjustPool({ engagementId: engagement, asset: 'haiku', amount: 10n ** 12n, reason: 'bench', actorPersonId: null });
      await setup.query('UPDATE api_keys SET engagement_id = $1 WHERE key_sha256 = $2', [engagement, sha]);
      poolOf.set(person, engagement);
    }
  }
  const [{ version }] = (await setup.query('SELECT version::text AS version FROM system_config_version')).rows;
  await setup.end();
  await app.close();

  // A/B: a copy of the database with CALLS_BASELINE's function files, its calls interleaved with
  // this code's one by one, so both see the same load
  const baseline = process.env.CALLS_BASELINE;
  const arms: Arm[] = [await openArm('after', databaseUrl, NAMES)];
  if (baseline) {
    const name = `${new URL(databaseUrl).pathname.slice(1)}_before`;
    const admin = new Client({ connectionString: databaseUrl });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${name}`);
    await arms[0].db.end();
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${new URL(databaseUrl).pathname.slice(1)}`);
    await admin.end();
    arms[0] = await openArm('after', databaseUrl, NAMES);
    const url = new URL(databaseUrl);
    url.pathname = `/${name}`;
    // the converse statements were unprepared before this change, unless CALLS_PREPARED=1 asks for them prepared
    const before = await openArm('before', url.toString(), process.env.CALLS_PREPARED === '1' ? NAMES : ['place_key_request_hold', 'settle_request_call']);
    await install(before.db, readFunctionFiles([baseline]));
    arms.unshift(before);
  }

  const turn = async (arm: Arm, i: number, measured: boolean) => {
    for (const [place, settle] of [['place_hold', 'settle_hold'], ['place_key_request_hold', 'settle_request_call']] as const) {
      const hold = randomUUID();
      const id = randomUUID();
      for (const name of [place, settle]) {
        const inTransaction = name === 'settle_hold'; // the turn's transaction; the others commit on their own
        if (inTransaction) await arm.db.query('BEGIN');
        const before = { n: measured ? await arm.statements() : 0, cpu: arm.cpu(), wall: performance.now() };
        const result = await call(arm, name, i, hold, id);
        const after = { wall: performance.now(), cpu: arm.cpu(), n: measured ? await arm.statements() : 0 };
        if (inTransaction) await arm.db.query('COMMIT');
        const outcome = result.rows[0].outcome;
        if (outcome !== 'placed' && outcome !== 'settled') throw new Error(`${arm.label} ${name}: ${outcome}`);
        if (!measured) continue;
        arm.cpus[name].push((after.cpu - before.cpu) / 1e6);
        arm.walls[name].push(after.wall - before.wall);
        if (arm.counted) arm.counts[name] += after.n - before.n - 1; // less the counting query before the call
      }
    }
  };
  const call = (arm: Arm, name: Name, i: number, hold: string, id: string) => {
    const person = people[i % PERSONS];
    const q = statement(name, person, keys[i % PERSONS], hold, id, version);
    return arm.db.query(arm.prepared.has(name) ? q : { text: q.text, values: q.values });
  };

  const started = load();
  for (let i = 0; i < WARMUP + CALLS; i++) {
    if (i === WARMUP) for (const arm of arms) if (arm.counted) await arm.db.query('SELECT pg_stat_statements_reset()');
    const order = i % 2 === 0 ? arms : [...arms].reverse();
    for (const arm of order) await turn(arm, i, i >= WARMUP);
  }
  console.log(
    `\nPer call, ${CALLS} turns after ${WARMUP} warm-up turns, one connection per arm${arms.length > 1 ? ', arms interleaved call by call' : ''} ` +
      `(load average ${started} at the start, ${load()} at the end)`,
  );
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  console.table(
    NAMES.flatMap((name) =>
      arms.map((arm) => ({
        call: name,
        arm: arm.label,
        statements: arm.counted ? (arm.counts[name] / CALLS).toFixed(1) : 'n/a',
        'CPU ms median': median(arm.cpus[name]).toFixed(3),
        'CPU ms mean': (sum(arm.cpus[name]) / CALLS).toFixed(3),
        'round trip ms median': median(arm.walls[name]).toFixed(3),
      })),
    ),
  );
  for (const arm of arms) {
    const per = (a: Name, b: Name) => `${(median(arm.cpus[a]) + median(arm.cpus[b])).toFixed(3)} ms`;
    console.log(`${arm.label}: a turn (place + settle) ${per('place_hold', 'settle_hold')} of backend CPU (medians); a request ${per('place_key_request_hold', 'settle_request_call')}`);
  }
  if (process.env.CALLS_DETAIL === '1') {
    for (const arm of arms.filter((a) => a.counted)) {
      console.log(`\n${arm.label}: every statement of the measured calls, nested ones too (mean µs includes what it called)`);
      console.table(
        (await arm.db.query(
          `SELECT round(calls::numeric / $1, 2) AS "per turn", round(mean_exec_time::numeric * 1000) AS "mean µs", toplevel,
                  left(regexp_replace(query, '\\s+', ' ', 'g'), 120) AS query
             FROM pg_stat_statements
            WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND query NOT LIKE '%pg_stat_statements%' AND calls >= $1
            ORDER BY total_exec_time DESC`,
          [CALLS],
        )).rows,
      );
    }
  }
  for (const arm of arms) await arm.db.end();
}

interface Arm {
  label: string;
  db: Client;
  prepared: Set<Name>;
  counted: boolean;
  cpu: () => number;
  statements: () => Promise<number>;
  cpus: Record<Name, number[]>;
  walls: Record<Name, number[]>;
  counts: Record<Name, number>;
}

async function openArm(label: string, url: string, prepared: readonly Name[]): Promise<Arm> {
  const db = new Client({ connectionString: url });
  await db.connect();
  const [{ pid }] = (await db.query('SELECT pg_backend_pid() AS pid')).rows;
  let counted = false;
  if (process.env.CALLS_COUNT !== '0') try {
    counted = (await db.query(`SELECT current_setting('pg_stat_statements.track') = 'all' AS ok`)).rows[0].ok;
    await db.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  } catch {
    counted = false;
  }
  const empty = <T>(make: () => T) => Object.fromEntries(NAMES.map((n) => [n, make()])) as Record<Name, T>;
  return {
    label,
    db,
    prepared: new Set(prepared),
    counted,
    // the backend's CPU time (ns): it sleeps between calls, so the figure is current
    cpu: () => Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]),
    statements: async () =>
      counted
        ? Number((await db.query('SELECT sum(calls)::bigint AS n FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())')).rows[0].n)
        : 0,
    cpus: empty(() => []),
    walls: empty(() => []),
    counts: empty(() => 0),
  };
}

/** Each call's SQL as its repository sends it (the name is used when the arm prepares it). */
function statement(name: Name, person: string, key: Buffer, hold: string, id: string, version: string): { name: string; text: string; values: unknown[] } {
  switch (name) {
    case 'place_hold':
      return {
        name,
        text: `SELECT outcome, asset, responder_model, amount::text AS amount, max_tokens::text AS max_tokens,
                      balance_before::text AS balance_before, expires_at
                 FROM credit.place_hold(
                        p_person => $1, p_hold => $2, p_turn => $3, p_at => $4, p_ttl_seconds => $5, p_max_in_flight => $6,
                        p_min_tokens => $7, p_classifier => $8, p_classify_input => $9, p_classify_max => $10,
                        p_respond_input => $11, p_respond_max => $12, p_assets => $13, p_models => $14, p_settings_version => $15,
                        p_payer => $16, p_async_commit => $17)`,
        values: [person, hold, id, new Date(), 300, 1000, 256, HAIKU, 200, 10, 600, 1024, ['haiku'], [HAIKU], version, `person:${person}`, false],
      };
    case 'settle_hold':
      return {
        name,
        text: `SELECT outcome, person_id, asset, held::text AS held, charged::text AS charged, balance_before::text AS balance_before,
                      balance_after::text AS balance_after, hold_exceeded, late, stages, low_crossed,
                      credit_after::text AS credit_after, low_threshold::text AS low_threshold, email, pool_owner_emails, pool_name, payer, api_key_id, alerts
                 FROM credit.settle_hold(
                        p_hold => $1, p_turn => $2, p_at => $3, p_stages => $4, p_low_thresholds => $5, p_settings_version => $6)`,
        values: [hold, id, new Date(), JSON.stringify([{ stage: 'classify', model: HAIKU, tokens: usage }, { stage: 'respond', model: HAIKU, tokens: usage }]), JSON.stringify({ haiku: 100 }), version],
      };
    case 'place_key_request_hold':
      return {
        name,
        text: `SELECT outcome, api_key_id, person_id, engagement_id, key_sha256, asset, amount::text AS amount,
                      balance_before::text AS balance_before, expires_at, available::text AS available, available_asset, retry_at, confirm
                 FROM place_key_request_hold(
                        p_key_sha256 => $1, p_hold => $2, p_request => $3, p_at => $4, p_ttl_seconds => $5, p_max_in_flight => $6,
                        p_model => $7, p_input_tokens => $8, p_max_tokens => $9, p_assets => $10, p_buys => $11, p_settings_version => $12)`,
        values: [key, hold, id, new Date(), 300, 1000, HAIKU, 600, 1024, ['haiku'], [true], version],
      };
    case 'settle_request_call':
      return {
        name,
        text: `SELECT outcome, asset, held::text AS held, charged::text AS charged, balance_after::text AS balance_after, confirm
                 FROM settle_request_call(
                        p_hold => $1, p_turn => $2, p_at => $3, p_stages => $4, p_low_thresholds => $5, p_settings_version => $6, p_call => $7,
                        p_person => $8)`,
        values: [
          hold, id, new Date(), JSON.stringify([{ stage: 'request', model: HAIKU, tokens: usage }]), JSON.stringify({ haiku: 100 }), version,
          JSON.stringify({
            id, source: 'messages', key_source: 'system', payer: poolOf.has(person) ? `engagement:${poolOf.get(person)}` : `person:${person}`, person_id: person,
            engagement_id: poolOf.get(person) ?? null, api_key_id: null, model: HAIKU,
            status: 'ok', input_tokens: usage.input, output_tokens: usage.output, cache_read_tokens: 0, cache_write_tokens: 0, asset: 'haiku',
            hold_id: hold, held: null, charged: '0', started_at: new Date().toISOString(), finished_at: new Date().toISOString(),
          }),
          person,
        ],
      };
  }
}

/** Function files installed as the migrator does (functions.ts), without its checksums: for an A/B run. */
async function install(db: Client, files: FunctionFile[]): Promise<void> {
  await db.query('BEGIN');
  await db.query('SET LOCAL check_function_bodies = off');
  for (const file of files) {
    await db.query('SAVEPOINT f');
    try {
      await db.query(file.sql);
    } catch {
      // another return type or parameter names: drop, then create
      await db.query('ROLLBACK TO SAVEPOINT f');
      const [schema, name] = file.name.split('.');
      const old = await db.query(`SELECT p.oid::regprocedure::text AS s FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = $1 AND p.proname = $2`, [schema, name]);
      for (const { s } of old.rows) await db.query(`DROP FUNCTION ${s}`);
      await db.query(file.sql);
    }
  }
  await db.query('COMMIT');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
