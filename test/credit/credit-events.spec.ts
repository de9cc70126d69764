import { Transactions } from '@loomworks/database';
import { SecretBox } from '@loomworks/system-config';
import { type PlaceHoldCommand } from '@loomworks/credit';
import { HoldsService, LedgerService } from '@loomworks/credit/staff';
import type { Person } from '@loomworks/persons';
import { TestContext } from '../support/test-context';

const HAIKU = 'claude-haiku-4-5-20251001';
let turnSeq = 0;
const newTurnId = () => `00000000-0000-4000-a000-${String(++turnSeq).padStart(12, '0')}`;
/** Bounds that cover 10 000 input tokens (the respond stage of every turn below). */
const command = (personId: string): PlaceHoldCommand => ({
  personId,
  turnId: newTurnId(),
  classify: { inputTokens: 0, maxTokens: 0 },
  respond: { inputTokens: 10_000, maxTokens: 1024 },
});
/** haiku input is 1000 credits per million tokens: 10 000 tokens cost exactly 10 credits */
const tenCredits = { input: 10_000, output: 0, cacheRead: 0, cacheWrite: 0 };

describe('credit-path events and notice mails (credit.low, credit.exhausted, hold.exceeded)', () => {
  let ctx: TestContext;
  let holds: HoldsService;
  let ledger: LedgerService;

  beforeAll(async () => {
    // Mail on (nothing is sent: the worker does not poll), so notices are queued as jobs.
    ctx = await TestContext.create({ env: { SMTP_URL: 'smtp://127.0.0.1:2525', MAIL_FROM: 'credit@example.com', OUTBOX_POLL_MS: '0' } });
    holds = ctx.get(HoldsService);
    ledger = ctx.get(LedgerService);
  }, 60_000);
  afterEach(() => ctx.expectLedgerConsistent());
  afterAll(() => ctx.close());

  const events = (personId: string, type: string) =>
    ctx.db.query<{ data: Record<string, unknown> }>(`SELECT data FROM events WHERE type = $1 AND data->>'personId' = $2 ORDER BY "timestamp", id`, [type, personId]);
  const mails = (to: string, template: string) =>
    ctx.db.query<{ id: string }>(`SELECT id FROM outbox_jobs WHERE kind = 'mail' AND summary->>'to' = $1 AND summary->>'template' = $2`, [to, template]);

  /** One whole turn: place, then settle `usage` in its own transaction. */
  const turn = async (person: Person, usage = tenCredits) => {
    const cmd = command(person.id);
    const placed = await holds.place(cmd);
    if (placed.status !== 'placed') throw new Error(`not placed: ${placed.status}`);
    return ctx.get(Transactions).run((tx) =>
      holds.settle({ holdId: placed.hold.id, turnId: cmd.turnId, stages: [{ stage: 'respond', model: HAIKU, usage }] }, tx),
    );
  };

  it('fires credit.low once when a turn crosses below the threshold, not on the turns below it; again after credit lifts it', async () => {
    const person = await ctx.fundedPerson('haiku', 130n); // threshold (seeded) 100
    for (const expected of [120n, 110n, 100n]) expect((await turn(person)).balanceAfter).toBe(expected);
    expect(await events(person.id, 'credit.low')).toEqual([]); // 100 is not below 100
    await turn(person); // 100 → 90: the crossing
    await turn(person); // 90 → 80: still below, no new event
    await turn(person);
    expect(await events(person.id, 'credit.low')).toEqual([
      { data: { personId: person.id, asset: 'haiku', balance: 90, threshold: 100, turnId: expect.any(String) } },
    ]);
    expect(await mails(person.email, 'low_balance')).toHaveLength(1);

    await ledger.adjust({ personId: person.id, asset: 'haiku', amount: 60n, reason: 'top-up', actorPersonId: null }); // 70 → 130
    for (let i = 0; i < 4; i++) await turn(person); // 130 → 90: crosses again
    expect((await events(person.id, 'credit.low')).map((e) => e.data.balance)).toEqual([90, 90]);
    expect(await mails(person.email, 'low_balance')).toHaveLength(2);
  });

  it('pool.low: a team pool crossing below the threshold mails each active owner (not the member), once per crossing', async () => {
    const owner = await ctx.fundedPerson('haiku', 10n);
    const coOwner = await ctx.fundedPerson('haiku', 10n);
    const member = await ctx.fundedPerson('haiku', 10n);
    const [{ id: engagementId }] = await ctx.db.query<{ id: string }>(
      `INSERT INTO engagements (id, name, personal, owner_person_id, created_at) VALUES (gen_random_uuid(), 'Pool team', false, $1, $2) RETURNING id`,
      [owner.id, ctx.clock.now()],
    );
    for (const [p, role] of [[owner, 'owner'], [coOwner, 'owner'], [member, 'member']] as const) {
      await ctx.db.query(`INSERT INTO engagement_members (engagement_id, person_id, role, created_at) VALUES ($1, $2, $3, $4)`, [engagementId, p.id, role, ctx.clock.now()]);
    }
    await ledger.adjustPool({ engagementId, asset: 'haiku', amount: 115n, reason: 'team budget', actorPersonId: null });
    const poolTurn = async () => {
      const cmd = { ...command(member.id), poolEngagementId: engagementId };
      const placed = await holds.place(cmd);
      if (placed.status !== 'placed') throw new Error(placed.status);
      return holds.settle({ holdId: placed.hold.id, turnId: cmd.turnId, stages: [{ stage: 'respond', model: HAIKU, usage: tenCredits }] });
    };
    await poolTurn(); // 115 → 105
    await poolTurn(); // 105 → 95: the crossing
    await poolTurn(); // 95 → 85
    const pool = await ctx.db.query<{ data: Record<string, unknown> }>(`SELECT data FROM events WHERE type = 'pool.low' AND data->>'engagementId' = $1`, [engagementId]);
    expect(pool).toEqual([{ data: { engagementId, asset: 'haiku', balance: 95, threshold: 100, turnId: expect.any(String) } }]);
    expect(await mails(owner.email, 'pool_low')).toHaveLength(1);
    expect(await mails(coOwner.email, 'pool_low')).toHaveLength(1);
    expect(await mails(member.email, 'pool_low')).toHaveLength(0);
    expect(await events(member.id, 'credit.low')).toEqual([]);
  });

  it('judges a crossing on the credit still held by parallel turns too: two turns in flight cross once', async () => {
    const person = await ctx.fundedPerson('haiku', 105n);
    const [a, b] = [command(person.id), command(person.id)];
    const placedA = await holds.place(a);
    const placedB = await holds.place(b);
    if (placedA.status !== 'placed' || placedB.status !== 'placed') throw new Error('not placed');
    const settle = (cmd: PlaceHoldCommand, holdId: string) =>
      ctx.get(Transactions).run((tx) => holds.settle({ holdId, turnId: cmd.turnId, stages: [{ stage: 'respond', model: HAIKU, usage: tenCredits }] }, tx));
    await settle(a, placedA.hold.id); // 105 → 95 in all, though B's hold still sits on it
    await settle(b, placedB.hold.id); // 95 → 85
    expect((await events(person.id, 'credit.low')).map((e) => e.data.balance)).toEqual([95]);
  });

  it('fires credit.exhausted and mails the person when a turn is refused for credit, once until credit arrives', async () => {
    const person = await ctx.fundedPerson('haiku', 1n);
    expect(await holds.place(command(person.id))).toEqual({ status: 'credit_exhausted' });
    expect(await holds.place(command(person.id))).toEqual({ status: 'credit_exhausted' });
    expect(await events(person.id, 'credit.exhausted')).toEqual([{ data: { personId: person.id, asset: 'haiku', balance: 1 } }]);
    expect(await mails(person.email, 'credit_exhausted')).toHaveLength(1);

    await ledger.adjust({ personId: person.id, asset: 'haiku', amount: 1n, reason: 'a little', actorPersonId: null });
    expect(await holds.place(command(person.id))).toEqual({ status: 'credit_exhausted' }); // still too little: announced again
    expect((await events(person.id, 'credit.exhausted')).map((e) => e.data.balance).sort()).toEqual([1, 2]); // one test clock: order by amount
    expect(await mails(person.email, 'credit_exhausted')).toHaveLength(2);
  });

  it('records hold.exceeded when a settlement costs more than its hold', async () => {
    const person = await ctx.fundedPerson('haiku', 1000n);
    const settled = await turn(person, { input: 100_000, output: 0, cacheRead: 0, cacheWrite: 0 }); // 100 credits over a hold of 19
    expect(settled).toMatchObject({ holdExceeded: true, charged: 100n });
    expect(await events(person.id, 'hold.exceeded')).toEqual([
      { data: { personId: person.id, holdId: expect.any(String), turnId: expect.any(String), asset: 'haiku', held: Number(settled.held), charged: 100 } },
    ]);
    expect(await events(person.id, 'credit.low')).toHaveLength(0); // 900 is not low
  });

  it('judges the crossing by a threshold another instance just changed (the settlement finds its cached settings stale)', async () => {
    const person = await ctx.fundedPerson('haiku', 1000n);
    await turn(person); // the settings are cached now: threshold 100
    const cmd = command(person.id);
    const placed = await holds.place(cmd);
    if (placed.status !== 'placed') throw new Error('not placed');
    // Another instance raises the threshold while the turn runs: this process's cache does not know.
    const previous = await ctx.db.query<{ value: string }>("SELECT value FROM system_config WHERE key = 'low_balance_threshold'");
    await ctx.db.query(
      "INSERT INTO system_config (key, value, updated_at) VALUES ('low_balance_threshold', $1, now()) ON CONFLICT (key) DO UPDATE SET value = $1",
      [ctx.get(SecretBox).encrypt(JSON.stringify({ haiku: 985 }))],
    );
    try {
      await ctx.get(Transactions).run((tx) =>
        holds.settle({ holdId: placed.hold.id, turnId: cmd.turnId, stages: [{ stage: 'respond', model: HAIKU, usage: tenCredits }] }, tx),
      ); // 990 → 980: below 985, not below 100
      expect(await events(person.id, 'credit.low')).toEqual([{ data: expect.objectContaining({ balance: 980, threshold: 985 }) }]);
    } finally {
      if (previous[0]) await ctx.db.query("UPDATE system_config SET value = $1 WHERE key = 'low_balance_threshold'", [previous[0].value]);
      else await ctx.db.query("DELETE FROM system_config WHERE key = 'low_balance_threshold'");
    }
  });

  it('emits nothing for a settlement whose transaction rolls back', async () => {
    const person = await ctx.fundedPerson('haiku', 105n);
    const cmd = command(person.id);
    const placed = await holds.place(cmd);
    if (placed.status !== 'placed') throw new Error('not placed');
    const huge = { input: 200_000, output: 0, cacheRead: 0, cacheWrite: 0 }; // would cross and exceed
    await expect(
      ctx.get(Transactions).run(async (tx) => {
        await holds.settle({ holdId: placed.hold.id, turnId: cmd.turnId, stages: [{ stage: 'respond', model: HAIKU, usage: huge }] }, tx);
        throw new Error('the turn failed to record');
      }),
    ).rejects.toThrow('the turn failed to record');
    expect(await ctx.db.query(`SELECT type FROM events WHERE type LIKE ANY ('{credit.%,hold.%}') AND data->>'personId' = $1`, [person.id])).toEqual([]);
    expect(await ctx.db.query(`SELECT id FROM outbox_jobs WHERE summary->>'to' = $1 AND summary->>'template' <> 'claim_link'`, [person.email])).toEqual([]);
    await holds.release(placed.hold.id);
    expect(await ledger.balance(person.id, 'haiku')).toBe(105n);
  });
});
