import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { INestApplicationContext } from '@nestjs/common';
import { timeOrderedUuid } from '@loomworks/common';
import { GrantsService, HoldsService } from '@loomworks/credit/staff';
import { Transactions } from '@loomworks/database';
import { PersonsService } from '@loomworks/persons';

/** Shared pieces of the benches: the measuring loop, the server version, funded bench persons. */
export const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);

/** Runs each worker in a loop for `seconds`; returns completed operations per second. */
export async function throughput(workers: Array<() => Promise<unknown>>, seconds = SECONDS): Promise<number> {
  const end = Date.now() + seconds * 1000;
  let done = 0;
  await Promise.all(
    workers.map(async (work) => {
      while (Date.now() < end) {
        await work();
        done++;
      }
    }),
  );
  return done / seconds;
}

/** The middle value (the upper of the two middle ones when there is an even number); NaN for none. */
export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
}

export async function serverVersion(transactions: Transactions): Promise<string> {
  const [{ server_version }] = await transactions.manager.query('SHOW server_version');
  return server_version;
}

/** The machine's load averages (1, 5, 15 min): what the wall-clock figures shared the CPUs with. */
export function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

/**
 * A process's parent and the CPU time (user + system, ms) it has used, from /proc/<pid>/stat
 * (utime and stime, its 14th and 15th fields, in clock ticks of 10 ms), and the CPU time of its
 * children that have ended and been waited for (cutime and cstime, the 16th and 17th: a backend's
 * whole life once the postmaster reaped it); null when it is gone or not on this machine.
 */
export function processStat(pid: number | string): { parentPid: number; cpuMs: number; endedChildrenCpuMs: number } | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return {
      parentPid: Number(fields[1]),
      cpuMs: (Number(fields[11]) + Number(fields[12])) * 10,
      endedChildrenCpuMs: (Number(fields[13]) + Number(fields[14])) * 10,
    };
  } catch {
    return null;
  }
}

/**
 * CPU time (user + system, ms) the server processes of this database have used, from /proc: a
 * figure the machine's load hardly stretches, unlike the wall time (10 ms ticks: measure many calls
 * or long ones). 0 unless the bench runs on the database's machine.
 */
export async function postgresCpuMs(transactions: Transactions): Promise<number> {
  const rows: { pid: number }[] = await transactions.manager.query('SELECT pid FROM pg_stat_activity WHERE datname = current_database()');
  return rows.reduce((ms, { pid }) => ms + (processStat(pid)?.cpuMs ?? 0), 0);
}

/** `count` persons, each holding a claimed haiku welcome grant large enough never to run out. */
export async function fundedPersons(app: INestApplicationContext, count: number): Promise<string[]> {
  const transactions = app.get(Transactions);
  const persons = app.get(PersonsService);
  const grants = app.get(GrantsService);
  const people: string[] = [];
  for (let i = 0; i < count; i++) {
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
  return people;
}

/** The id of bench person i (1-based) of fillLedger; its personal engagement's differs in one digit. */
export const benchPerson = (i: number) => `00000000-0000-4000-9000-${i.toString(16).padStart(12, '0')}`;

/**
 * A ledger of `flows` flows over `persons` persons (benchPerson(1 … persons)), built in seconds:
 * the flows are written in bulk with the balance trigger off, then the balances derived with one
 * aggregate (the trigger's result, without a million single-row upserts). Each person gets one
 * issuance, the rest are consumptions spread over the persons in turn. Without `start` every flow
 * is stamped now(); with it, the consumptions are one second apart from `start` (so as-of instants
 * fall inside the history).
 */
export async function fillLedger(transactions: Transactions, options: { flows: number; persons: number; start?: Date }): Promise<void> {
  const { flows, persons, start } = options;
  // persons → engagements is checked at commit; engagements → persons at once: persons first.
  await transactions.run(async (tx) => {
    await tx.query(
      `INSERT INTO persons (id, email, display_name, personal_engagement_id, created_at)
       SELECT ('00000000-0000-4000-9000-' || lpad(to_hex(i), 12, '0'))::uuid, 'bench' || i || '@example.com', 'Bench',
              ('00000000-0000-4000-8000-' || lpad(to_hex(i), 12, '0'))::uuid, now()
         FROM generate_series(1, $1) i`,
      [persons],
    );
    await tx.query(
      `INSERT INTO engagements (id, name, personal, owner_person_id, created_at)
       SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(i), 12, '0'))::uuid, 'bench', true,
              ('00000000-0000-4000-9000-' || lpad(to_hex(i), 12, '0'))::uuid, now()
         FROM generate_series(1, $1) i`,
      [persons],
    );
  });
  await transactions.run(async (tx) => {
    await tx.query('ALTER TABLE credit.flows DISABLE TRIGGER flows_apply');
    // The balances below are flows_apply's writes, in bulk: not writes outside a flow to watch.
    await tx.query('ALTER TABLE credit.balances DISABLE TRIGGER balances_watch');
    await tx.query(
      `INSERT INTO credit.flows (kind, asset, amount, from_party, to_party, person_id, idempotency_key, created_at)
       SELECT 'issuance', 'haiku', 1000000000, 'system:issuer', 'person:' || p, p, 'grant:' || p, coalesce($2::timestamptz, now())
         FROM (SELECT ('00000000-0000-4000-9000-' || lpad(to_hex(i), 12, '0'))::uuid AS p FROM generate_series(1, $1) i) persons`,
      [persons, start ?? null],
    );
    await tx.query(
      `INSERT INTO credit.flows (kind, asset, amount, from_party, to_party, person_id, idempotency_key, created_at)
       SELECT 'consumption', 'haiku', 1 + i % 97, 'person:' || p, 'system:consumed', p, 'turn:' || i || ':respond',
              coalesce($3::timestamptz + i * interval '1 second', now())
         FROM (SELECT i, ('00000000-0000-4000-9000-' || lpad(to_hex(1 + i % $2), 12, '0'))::uuid AS p
                 FROM generate_series(1, $1) i) consumptions`,
      [flows - persons, persons, start ?? null],
    );
    await tx.query(`
      INSERT INTO credit.balances (party, asset, slot, amount)
      SELECT party, asset, credit.balance_slot(party, person_id), sum(delta)
        FROM (SELECT from_party AS party, asset, person_id, -amount AS delta FROM credit.flows
              UNION ALL SELECT to_party, asset, person_id, amount FROM credit.flows) moves
       GROUP BY party, asset, credit.balance_slot(party, person_id)`);
    await tx.query('ALTER TABLE credit.flows ENABLE TRIGGER flows_apply');
    await tx.query('ALTER TABLE credit.balances ENABLE TRIGGER balances_watch');
  });
  await transactions.manager.query('VACUUM ANALYZE credit.flows');
  await transactions.manager.query('VACUUM ANALYZE credit.balances');
}

const BENCH_MODEL = 'claude-haiku-4-5-20251001';
const BENCH_USAGE = { input: 300, output: 200, cacheRead: 0, cacheWrite: 0 };

/**
 * A system-key turn's credit work as every bench measures it: the hold placed for two stages,
 * then both settled in the turn's transaction. Returns, per payer (a person, or a member paying
 * from a team pool), a worker for `throughput`.
 */
export function turnCreditWork(app: INestApplicationContext): (personId: string, poolEngagementId?: string) => () => Promise<void> {
  const holds = app.get(HoldsService);
  const transactions = app.get(Transactions);
  return (personId, poolEngagementId) => async () => {
    // Time-ordered like the turn ids converse makes: the turn's flows are keyed by it.
    const turnId = timeOrderedUuid();
    const placed = await holds.place({ personId, poolEngagementId, turnId, classify: { inputTokens: 200, maxTokens: 10 }, respond: { inputTokens: 600, maxTokens: 1024 } });
    if (placed.status !== 'placed') throw new Error(`hold not placed: ${placed.status}`);
    await transactions.run((tx) =>
      holds.settle(
        { holdId: placed.hold.id, turnId, stages: [{ stage: 'classify', model: BENCH_MODEL, usage: BENCH_USAGE }, { stage: 'respond', model: BENCH_MODEL, usage: BENCH_USAGE }] },
        tx,
      ),
    );
  };
}
