import type { Usage } from '@loomworks/common';
import type { PlaceHoldCommand } from '@loomworks/credit';
import { HoldsService, LedgerService } from '@loomworks/credit/staff';
import { SystemConfigService } from '@loomworks/system-config';
import { TestContext } from '../support/test-context';

const HAIKU = 'claude-haiku-4-5-20251001';
const usage = (u: Partial<Usage>): Usage => ({ input: 0, output: 0, cacheRead: 0, cacheWrite: 0, ...u });
let turnSeq = 0;
const newTurnId = () => `00000000-0000-4000-b000-${String(++turnSeq).padStart(12, '0')}`;
/** classify bound 1 credit; respond bound ceil((300 × 1,250 + maxTokens × 5,000) / 10^6) on haiku */
const command = (personId: string, respondMax = 1024, over: Partial<PlaceHoldCommand> = {}): PlaceHoldCommand => ({
  personId,
  turnId: newTurnId(),
  classify: { inputTokens: 200, maxTokens: 10 },
  respond: { inputTokens: 300, maxTokens: respondMax },
  ...over,
});

/**
 * Spend limits (DESIGN.md "Spend limits and team pools"), checked when the hold is placed, under
 * the payer's lock: spent this period + held by the scope's active holds + this hold ≤ limit.
 */
describe('spend limits at the hold', () => {
  let ctx: TestContext;
  let holds: HoldsService;

  beforeAll(async () => {
    ctx = await TestContext.create();
    holds = ctx.get(HoldsService);
  });
  afterEach(() => ctx.expectLedgerConsistent());
  afterAll(() => ctx.close());

  const setPersonLimits = (personId: string, staff: [number, string] | null, self: [number, string] | null) =>
    ctx.db.query(
      'UPDATE persons SET staff_limit_amount = $2, staff_limit_period = $3, self_limit_amount = $4, self_limit_period = $5 WHERE id = $1',
      [personId, staff?.[0] ?? null, staff?.[1] ?? null, self?.[0] ?? null, self?.[1] ?? null],
    );
  const events = (type: string) =>
    ctx.db.query<{ data: Record<string, unknown> }>('SELECT data FROM events WHERE type = $1 ORDER BY "timestamp", id', [type]);
  async function placed(cmd: PlaceHoldCommand) {
    const p = await holds.place(cmd);
    if (p.status !== 'placed') throw new Error(p.status);
    return p;
  }
  const settle = (cmd: PlaceHoldCommand, holdId: string, output: number, classifyOutput = 0) =>
    holds.settle({
      holdId,
      turnId: cmd.turnId,
      stages: [
        ...(classifyOutput ? [{ stage: 'classify' as const, model: HAIKU, usage: usage({ output: classifyOutput }) }] : []),
        { stage: 'respond' as const, model: HAIKU, usage: usage({ output }) },
      ],
    });

  it('the lower of staff\'s limit and the person\'s own applies; the respond stage is lowered to the headroom, then limit_reached', async () => {
    ctx.clock.set('2026-06-03T10:00:00Z');
    const person = await ctx.fundedPerson('haiku', 1000n);
    await setPersonLimits(person.id, [20, 'day'], [10, 'day']);
    const first = await placed(command(person.id)); // 1 + 6
    expect(first.hold.amount).toBe(7n);
    // 3 credits of headroom left: classify 1, respond floor((2·10^6 − 375,000) / 5,000) = 325 tokens
    const second = await placed(command(person.id));
    expect(second).toMatchObject({ hold: { amount: 3n }, respondMaxTokens: 325 });
    expect(await holds.place(command(person.id))).toEqual({ status: 'limit_reached' });
    // the balance, not the limit, is short: credit_exhausted as before
    const poor = await ctx.fundedPerson('haiku', 2n);
    await setPersonLimits(poor.id, null, [100, 'day']);
    expect(await holds.place(command(poor.id))).toEqual({ status: 'credit_exhausted' });
    // staff's lower limit applies when the person's own is higher; releasing frees the headroom
    await setPersonLimits(person.id, [7, 'day'], [10, 'day']);
    await holds.release(second.hold.id);
    expect(await holds.place(command(person.id))).toEqual({ status: 'limit_reached' });
    await holds.release(first.hold.id);
    await holds.release((await placed(command(person.id))).hold.id);
    // a limit of another period counts that period: 7 a week after this week's 0 spent
    await setPersonLimits(person.id, [1000, 'month'], [7, 'week']);
    await holds.release((await placed(command(person.id))).hold.id);
  });

  it('a hold placed before midnight and settled after counts for the day it was placed; the new day starts with its whole limit', async () => {
    const person = await ctx.fundedPerson('haiku', 1000n);
    await setPersonLimits(person.id, null, [10, 'day']);
    ctx.clock.set('2026-06-10T23:59:30Z');
    const cmd = command(person.id);
    const before = await placed(cmd); // 7 held on the 10th: 3 left that day
    expect(await holds.place(command(person.id, 1024))).toMatchObject({ status: 'placed', hold: { amount: 3n } });
    ctx.clock.set('2026-06-11T00:00:20Z');
    // in flight across midnight: the 10th's hold doesn't count on the 11th
    const next = await placed(command(person.id));
    expect(next.hold.amount).toBe(7n);
    await settle(cmd, before.hold.id, 1200); // 6 credits, counted on the 10th
    const counters = await ctx.db.query<{ day: string; amount: string }>(
      `SELECT to_char(period_start, 'YYYY-MM-DD') AS day, amount::text AS amount FROM credit.spend_counters
        WHERE scope = $1 AND period = 'day' ORDER BY period_start`,
      [`person:${person.id}`],
    );
    expect(counters).toEqual([{ day: '2026-06-10', amount: '6' }]);
    const [limits] = await ctx.db.query<{ spent: string; held: string }>(
      `SELECT spent::text, held::text FROM credit.spend_limits($1, $2, NULL, $3)`,
      [person.id, `person:${person.id}`, ctx.clock.now()],
    );
    expect(limits).toEqual({ spent: '0', held: '7' });
    await holds.release(next.hold.id);
    for (const h of await holds.activeHolds(person.id)) await holds.release(h.id);
  });

  it('budget.threshold fires at 80 % and 100 % once per scope and period, and again in the next period', async () => {
    ctx.clock.set('2026-06-15T09:00:00Z');
    const person = await ctx.fundedPerson('haiku', 10_000n);
    await setPersonLimits(person.id, null, [100, 'day']);
    const countBefore = (await events('budget.threshold')).length;
    const run = async (respondMax: number, output: number, classifyOutput = 0) => {
      const cmd = command(person.id, respondMax);
      const p = await placed(cmd);
      await settle(cmd, p.hold.id, output, classifyOutput);
    };
    await run(8000, 8000); // 40
    expect((await events('budget.threshold')).length).toBe(countBefore);
    await run(8000, 8000); // 80: crosses 80 %
    await run(8000, 3725, 200); // the hold is lowered to the 20 left; 1 + 19 = 100: crosses 100 %, 80 % not again
    expect(await holds.place(command(person.id))).toEqual({ status: 'limit_reached' });
    const fired = (await events('budget.threshold')).slice(countBefore).sort((a, b) => Number(a.data.threshold) - Number(b.data.threshold));
    expect(fired.map((e) => e.data)).toEqual([
      { scope: 'person', personId: person.id, engagementId: null, apiKeyId: null, period: 'day', periodStart: '2026-06-15', limit: 100, spent: 80, threshold: 80 },
      { scope: 'person', personId: person.id, engagementId: null, apiKeyId: null, period: 'day', periodStart: '2026-06-15', limit: 100, spent: 100, threshold: 100 },
    ]);
    ctx.clock.set('2026-06-16T09:00:00Z');
    await run(8000, 8000);
    await run(8000, 8000);
    const nextDay = (await events('budget.threshold')).slice(countBefore + 2);
    expect(nextDay.map((e) => [e.data.periodStart, e.data.threshold])).toEqual([['2026-06-16', 80]]);
  });

  it('30 parallel turns of one member against a member limit covering 3: never more than the limit nor the pool', async () => {
    ctx.clock.set('2026-06-20T12:00:00Z');
    await ctx.get(SystemConfigService).set('max_turns_in_flight', 64);
    try {
      const member = await ctx.fundedPerson('haiku', 1000n);
      const [{ id: engagementId }] = await ctx.db.query<{ id: string }>(
        `INSERT INTO engagements (id, name, personal, owner_person_id, created_at) VALUES (gen_random_uuid(), 'Limited', false, $1, $2) RETURNING id`,
        [member.id, ctx.clock.now()],
      );
      await ctx.db.query(
        `INSERT INTO engagement_members (engagement_id, person_id, role, created_at, limit_amount, limit_period) VALUES ($1, $2, 'owner', $3, 21, 'day')`,
        [engagementId, member.id, ctx.clock.now()],
      );
      await ctx.get(LedgerService).adjustPool({ engagementId, asset: 'haiku', amount: 1000n, reason: 'team budget', actorPersonId: null });
      const outcomes = await Promise.all(
        Array.from({ length: 30 }, async () => {
          const cmd = command(member.id, 1024, { poolEngagementId: engagementId });
          const p = await holds.place(cmd);
          if (p.status !== 'placed') return { status: p.status, charged: 0n };
          const s = await settle(cmd, p.hold.id, 1200, 10); // 1 + 6: the whole hold (7)
          return { status: 'ok', charged: s.charged };
        }),
      );
      const charged = outcomes.reduce((n, o) => n + o.charged, 0n);
      expect(charged).toBeLessThanOrEqual(21n);
      expect(outcomes.filter((o) => o.status === 'ok')).toHaveLength(3);
      expect(new Set(outcomes.filter((o) => o.status !== 'ok').map((o) => o.status))).toEqual(new Set(['limit_reached']));
      const [pool] = await ctx.db.query<{ amount: string }>(`SELECT sum(amount)::text AS amount FROM credit.balances WHERE party = $1`, [`engagement:${engagementId}`]);
      expect(BigInt(pool.amount)).toBe(1000n - charged);
      expect(await ctx.get(LedgerService).balance(member.id, 'haiku')).toBe(1000n); // the member's own credit untouched
    } finally {
      await ctx.get(SystemConfigService).set('max_turns_in_flight', 4);
    }
  });
});
