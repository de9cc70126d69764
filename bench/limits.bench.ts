/**
 * Spend limits and team pools must not tax the money path (issue 22), measured in one run,
 * interleaved (each pair twice, best of two, so the loaded machine's drift hits both sides):
 *  1. a turn's credit work (place + settle 2 stages) at 16 persons in parallel, with a person limit
 *     active (staff's and the person's own) vs without; and paid by a pool with a member limit
 *     active vs without (target ≥ 0.9× each);
 *  2. one pool with 16 members turning in parallel vs 16 persons each paying their own
 *     (target ≥ 0.8×). The pool is one party: its engagement row is locked by every hold and
 *     settlement (lock_payer) and its balance rows by the ledger trigger.
 * Run: npm run bench   (embedded PostgreSQL unless DATABASE_URL is set; uses a scratch database)
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { NestFactory } from '@nestjs/core';
import { loadConfig } from '@loomworks/config';
import { LedgerService } from '@loomworks/credit/staff';
import { Transactions } from '@loomworks/database';
import { SystemConfigService } from '@loomworks/system-config';
import { AppModule } from '../apps/api/src/app.module';
import { fundedPersons, SECONDS, serverVersion, throughput, turnCreditWork } from './bench-kit';
import { withScratchDatabase } from './scratch-database';

/** a limit that never refuses: the check runs in full, the answer is always yes */
const HIGH = '1000000000000';

async function main() {
  await withScratchDatabase(run);
}

async function run(databaseUrl: string) {
  const config = loadConfig({ ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent' });
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(config), { logger: false });
  const transactions = app.get(Transactions);
  const ledger = app.get(LedgerService);
  await app.get(SystemConfigService).set('max_turns_in_flight', 1000);
  const free = await fundedPersons(app, 16);
  const limited = await fundedPersons(app, 16);
  for (const id of limited) {
    await transactions.manager.query(
      `UPDATE persons SET staff_limit_amount = $2, staff_limit_period = 'month', self_limit_amount = $2, self_limit_period = 'day' WHERE id = $1`,
      [id, HIGH],
    );
  }
  /** a team engagement owned by `owner`, funded, with the given members (and their limit) */
  const pool = async (owner: string, members: string[], limit: string | null) => {
    const id = randomUUID();
    await transactions.run(async (tx) => {
      await tx.query(`INSERT INTO engagements (id, name, personal, owner_person_id, created_at) VALUES ($1, 'Bench team', false, $2, now())`, [id, owner]);
      for (const m of members) {
        await tx.query(
          `INSERT INTO engagement_members (engagement_id, person_id, role, created_at, limit_amount, limit_period) VALUES ($1, $2, $3, now(), $4, $5)`,
          [id, m, m === owner ? 'owner' : 'member', limit, limit && 'day'],
        );
      }
    });
    await ledger.adjustPool({ engagementId: id, asset: 'haiku', amount: 10n ** 12n, reason: 'bench', actorPersonId: null });
    return id;
  };
  // one pool per person (no shared pool row) with and without a member limit; one pool shared by 16
  const ownPools = await Promise.all(free.map((p) => pool(p, [p], null)));
  const ownLimitedPools = await Promise.all(limited.map((p) => pool(p, [p], HIGH)));
  const shared = await pool(free[0], free, null);

  const turn = turnCreditWork(app);

  const seconds = Math.min(SECONDS, Number(process.env.LIMITS_BENCH_SECONDS ?? 2));
  /** a and b alternately, twice each; the best of each */
  const pair = async (a: Array<() => Promise<void>>, b: Array<() => Promise<void>>) => {
    let bestA = 0;
    let bestB = 0;
    for (let i = 0; i < 2; i++) {
      bestA = Math.max(bestA, await throughput(a, seconds));
      bestB = Math.max(bestB, await throughput(b, seconds));
    }
    return { a: bestA, b: bestB };
  };

  await throughput([turn(free[0]), turn(limited[0], ownLimitedPools[0]), turn(free[1], shared)], 1); // warm up
  const person = await pair(free.map((p) => turn(p)), limited.map((p) => turn(p)));
  const member = await pair(free.map((p, i) => turn(p, ownPools[i])), limited.map((p, i) => turn(p, ownLimitedPools[i])));
  const shares = await pair(free.map((p) => turn(p)), free.map((p) => turn(p, shared)));

  console.log(`\nSpend limits and pools: a turn's credit work at 16 in parallel, turns/s, best of 2 × ${seconds}s interleaved (Postgres ${await serverVersion(transactions)})`);
  console.table([
    { what: 'own credit, no limit', 'turns/s': person.a.toFixed(0) },
    { what: "own credit, person limits active (staff's + own)", 'turns/s': person.b.toFixed(0) },
    { what: 'a pool each, no member limit', 'turns/s': member.a.toFixed(0) },
    { what: 'a pool each, member limit active', 'turns/s': member.b.toFixed(0) },
    { what: '16 persons each paying their own', 'turns/s': shares.a.toFixed(0) },
    { what: 'one pool, 16 members in parallel', 'turns/s': shares.b.toFixed(0) },
  ]);
  console.log(`person limit / none: ${(person.b / person.a).toFixed(2)}  (target ≥ 0.9)`);
  console.log(`member limit / none: ${(member.b / member.a).toFixed(2)}  (target ≥ 0.9)`);
  console.log(`one pool of 16 / 16 own: ${(shares.b / shares.a).toFixed(2)}  (target ≥ 0.8)`);
  await app.close();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
