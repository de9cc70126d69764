import { Client } from 'pg';
import type { PlaceHoldCommand } from '@loomworks/credit';
import { HoldsService, LedgerService } from '@loomworks/credit/staff';
import { isDatabaseUnavailable, Transactions } from '@loomworks/database';
import { CLOCK } from '@loomworks/common';
import { SystemConfigService } from '@loomworks/system-config';
import { HoldsRepository } from '../../libs/credit/src/persistence/holds.repository';
import { createTestApp } from '../support/test-app';
import { TestContext } from '../support/test-context';

let turnSeq = 0;
const newTurnId = () => `00000000-0000-4000-c000-${String(++turnSeq).padStart(12, '0')}`;
/** 7 haiku credits: classify 1 + respond 6 (300 input tokens, max_tokens 1024) */
const HOLD = 7n;
const command = (personId: string, poolEngagementId: string): PlaceHoldCommand => ({
  personId,
  poolEngagementId,
  turnId: newTurnId(),
  classify: { inputTokens: 200, maxTokens: 10 },
  respond: { inputTokens: 300, maxTokens: 1024 },
});

/**
 * A team pool's hold placement (place_hold.sql, confirm_hold.sql): the pool's lock is taken last
 * and not held through the commit's WAL flush; the placement is confirmed durable before place
 * answers. Neither may let the members of a pool spend more than it holds.
 */
describe('placing holds on a team pool', () => {
  let ctx: TestContext;
  let holds: HoldsService;

  beforeAll(async () => {
    ctx = await TestContext.create();
    holds = ctx.get(HoldsService);
  });
  afterEach(() => {
    jest.restoreAllMocks();
    return ctx.expectLedgerConsistent();
  });
  afterAll(() => ctx.close());

  async function pool(members: { id: string }[], credits: bigint): Promise<string> {
    const [{ id }] = await ctx.db.query<{ id: string }>(
      `INSERT INTO engagements (id, name, personal, owner_person_id, created_at) VALUES (gen_random_uuid(), 'Pool', false, $1, $2) RETURNING id`,
      [members[0].id, ctx.clock.now()],
    );
    for (const [i, m] of members.entries()) {
      await ctx.db.query(`INSERT INTO engagement_members (engagement_id, person_id, role, created_at) VALUES ($1, $2, $3, $4)`, [
        id,
        m.id,
        i === 0 ? 'owner' : 'member',
        ctx.clock.now(),
      ]);
    }
    await ctx.get(LedgerService).adjustPool({ engagementId: id, asset: 'haiku', amount: credits, reason: 'team budget', actorPersonId: null });
    return id;
  }
  const poolBalance = async (id: string) =>
    BigInt((await ctx.db.query<{ n: string }>(`SELECT coalesce(sum(amount), 0)::text AS n FROM credit.balances WHERE party = $1`, [`engagement:${id}`]))[0].n);

  it('16 members placing in parallel, each on its own connection, on a pool covering 5 holds: exactly 5 placed, the pool never below zero', async () => {
    await ctx.get(SystemConfigService).set('max_turns_in_flight', 64);
    try {
      const members = await Promise.all(Array.from({ length: 16 }, () => ctx.fundedPerson('haiku', 1000n)));
      const id = await pool(members, 5n * HOLD);
      // Open 16 connections first, so the placements below really run side by side.
      const tx = ctx.get(Transactions);
      await Promise.all(Array.from({ length: 16 }, () => tx.manager.query('SELECT pg_sleep(0.2)')));
      const outcomes = await Promise.all(members.map((m) => holds.place(command(m.id, id))));
      expect(outcomes.filter((o) => o.status === 'placed')).toHaveLength(5);
      expect(new Set(outcomes.filter((o) => o.status !== 'placed').map((o) => o.status))).toEqual(new Set(['credit_exhausted']));
      expect(await poolBalance(id)).toBe(0n);
      const [{ n }] = await ctx.db.query<{ n: string }>(
        `SELECT coalesce(sum(amount), 0)::text AS n FROM credit.holds WHERE payer = $1 AND status = 'active'`,
        [`engagement:${id}`],
      );
      expect(BigInt(n)).toBe(5n * HOLD);
      for (const o of outcomes) if (o.status === 'placed') await holds.release(o.hold.id);
      expect(await poolBalance(id)).toBe(5n * HOLD);
    } finally {
      await ctx.get(SystemConfigService).set('max_turns_in_flight', 4);
    }
  });

  it('a pool\'s placement is on disk before place answers: confirmed by a synchronous commit after it', async () => {
    // The suite's throwaway cluster commits asynchronously for speed (synchronous_commit=off), so
    // no commit flushes there; the guarantee is about a server that commits synchronously, as a
    // production one does: an instance whose connections do, on the same database.
    await ctx.db.query(`DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET synchronous_commit = on', current_database()); END $$`);
    const durable = await createTestApp(ctx.db.url, { override: (b) => b.overrideProvider(CLOCK).useValue(ctx.clock) });
    try {
      const member = await ctx.fundedPerson('haiku', 1000n);
      const id = await pool([member], 100n);
      const repository = durable.get(HoldsRepository);
      const confirm = repository.confirm.bind(repository);
      let placedUpTo: string | null = null;
      jest.spyOn(repository, 'confirm').mockImplementation(async (tx, holdId) => {
        // the placement has committed: everything it wrote lies below the WAL's insert position now
        placedUpTo = (await ctx.db.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn'))[0].lsn;
        return confirm(tx, holdId);
      });
      const placed = await durable.get(HoldsService).place(command(member.id, id));
      expect(placed.status).toBe('placed');
      expect(placedUpTo).not.toBeNull();
      const [{ flushed }] = await ctx.db.query<{ flushed: boolean }>('SELECT pg_current_wal_flush_lsn() >= $1::pg_lsn AS flushed', [placedUpTo]);
      expect(flushed).toBe(true);
      if (placed.status === 'placed') await holds.release(placed.hold.id);
    } finally {
      await durable.close();
    }
  });

  it('a person\'s own placement commits synchronously and needs no confirmation', async () => {
    const person = await ctx.fundedPerson('haiku', 1000n);
    const confirm = jest.spyOn(ctx.get(HoldsRepository), 'confirm');
    const placed = await holds.place({ ...command(person.id, ''), poolEngagementId: undefined });
    expect(placed.status).toBe('placed');
    expect(confirm).not.toHaveBeenCalled();
    if (placed.status === 'placed') await holds.release(placed.hold.id);
  });

  it('a flow locks the pool\'s balance slot before the system one, whichever way it goes: a member\'s release and another\'s hold sharing a slot cannot deadlock', async () => {
    const member = await ctx.fundedPerson('haiku', 1000n);
    const id = await pool([member], 100n);
    const placed = await holds.place(command(member.id, id)); // both slot rows exist from here
    if (placed.status !== 'placed') throw new Error(placed.status);
    await holds.release(placed.hold.id);
    const [{ slot }] = await ctx.db.query<{ slot: number }>(`SELECT credit.balance_slot('system:held', $1) AS slot`, [member.id]);
    const connect = async () => {
      const c = new Client({ connectionString: ctx.db.url });
      c.on('error', () => undefined);
      await c.connect();
      await c.query('BEGIN');
      return c;
    };
    const [blocker, release, probe] = [await connect(), await connect(), await connect()];
    try {
      // the system side of the slot is taken: a release to the pool must wait for it ...
      await blocker.query(`SELECT 1 FROM credit.balances WHERE party = 'system:held' AND asset = 'haiku' AND slot = $1 FOR UPDATE`, [slot]);
      const waiting = release.query(
        `INSERT INTO credit.flows (kind, asset, amount, from_party, to_party, person_id, created_at)
         VALUES ('release', 'haiku', 1, 'system:held', $1, $2, now())`,
        [`engagement:${id}`, member.id],
      );
      waiting.catch(() => undefined);
      await new Promise((r) => setTimeout(r, 300));
      // ... holding the pool's slot already, as a hold (pool → system:held) would take it first
      const probed = await probe
        .query(`SELECT 1 FROM credit.balances WHERE party = $1 AND asset = 'haiku' AND slot = $2 FOR UPDATE NOWAIT`, [`engagement:${id}`, slot])
        .then(
          () => 'free',
          (e: { code?: string }) => e.code,
        );
      expect(probed).toBe('55P03'); // lock_not_available
    } finally {
      for (const c of [blocker, probe, release]) await c.query('ROLLBACK').catch(() => undefined);
      for (const c of [blocker, probe, release]) await c.end();
    }
  });

  it('a Messages API request draws a pool only for a member: another person gets not_member and nothing is written', async () => {
    const member = await ctx.fundedPerson('haiku', 1000n);
    const outsider = await ctx.fundedPerson('haiku', 1000n);
    const id = await pool([member], 100n);
    const place = async (personId: string) => {
      const [row] = await ctx.db.query<{ outcome: string; hold: string }>(
        `SELECT h.outcome, $2::uuid AS hold FROM credit.place_request_hold(
           p_person => $1, p_payer => 'engagement:' || $3, p_hold => $2, p_request => gen_random_uuid(), p_at => $4,
           p_ttl_seconds => 600, p_max_in_flight => 10, p_model => 'claude-haiku-4-5-20251001', p_input_tokens => 300,
           p_max_tokens => 1024, p_assets => ARRAY['haiku'], p_buys => ARRAY[true],
           p_settings_version => (SELECT version FROM system_config_version)) h`,
        [personId, crypto.randomUUID(), id, ctx.clock.now()],
      );
      return row;
    };
    const refused = await place(outsider.id);
    expect(refused.outcome).toBe('not_member');
    expect(await ctx.db.query(`SELECT 1 FROM credit.holds WHERE id = $1`, [refused.hold])).toHaveLength(0);
    const placed = await place(member.id);
    expect(placed.outcome).toBe('placed');
    expect(await poolBalance(id)).toBeLessThan(100n);
    await holds.release(placed.hold);
  });

  it('confirm_hold answers false for a hold that is not there; place then fails as the database being unavailable', async () => {
    const [{ confirmed }] = await ctx.db.query<{ confirmed: boolean }>('SELECT credit.confirm_hold(gen_random_uuid()) AS confirmed');
    expect(confirmed).toBe(false);
    const member = await ctx.fundedPerson('haiku', 1000n);
    const id = await pool([member], 100n);
    // as after a failover that lost the placement before its flush
    jest.spyOn(ctx.get(HoldsRepository), 'confirm').mockResolvedValue(false);
    const error = await holds.place(command(member.id, id)).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isDatabaseUnavailable(error)).toBe(true);
    // (here the placement did commit: release it, as the sweep would once it expires)
    const [{ hold }] = await ctx.db.query<{ hold: string }>(`SELECT id AS hold FROM credit.holds WHERE payer = $1 AND status = 'active'`, [`engagement:${id}`]);
    await holds.release(hold);
  });
});
