import type { Usage } from '@loomworks/common';
import type { PlaceHoldCommand } from '@loomworks/credit';
import { HoldsService, LedgerService } from '@loomworks/credit/staff';
import { TestContext } from '../support/test-context';

const HAIKU = 'claude-haiku-4-5-20251001';
const usage = (u: Partial<Usage>): Usage => ({ input: 0, output: 0, cacheRead: 0, cacheWrite: 0, ...u });
let turnSeq = 0;
const newTurnId = () => `00000000-0000-4000-a000-${String(++turnSeq).padStart(12, '0')}`;
const command = (personId: string, over: Partial<PlaceHoldCommand> = {}): PlaceHoldCommand => ({
  personId,
  turnId: newTurnId(),
  classify: { inputTokens: 200, maxTokens: 10 },
  respond: { inputTokens: 300, maxTokens: 1024 },
  ...over,
});

/**
 * The per-(scope, period) spend counters (DESIGN.md "Spend limits and team pools"): maintained by
 * the settle statement through credit.count_spend; a charge counts in the periods its hold was
 * placed in (day, ISO week from Monday, month, UTC).
 */
describe('spend counters', () => {
  let ctx: TestContext;
  let holds: HoldsService;

  beforeAll(async () => {
    ctx = await TestContext.create();
    holds = ctx.get(HoldsService);
  });
  afterEach(() => ctx.expectLedgerConsistent());
  afterAll(() => ctx.close());

  const counters = (scope: string) =>
    ctx.db.query<{ period: string; period_start: string; amount: string }>(
      `SELECT period, to_char(period_start, 'YYYY-MM-DD') AS period_start, amount::text AS amount
         FROM credit.spend_counters WHERE scope = $1 ORDER BY period_start, period`,
      [scope],
    );

  async function turn(personId: string, output: number, over: Partial<PlaceHoldCommand> = {}) {
    const cmd = command(personId, over);
    const placed = await holds.place(cmd);
    if (placed.status !== 'placed') throw new Error(placed.status);
    return {
      placed,
      settle: () => holds.settle({ holdId: placed.hold.id, turnId: cmd.turnId, stages: [{ stage: 'respond', model: HAIKU, usage: usage({ input: 0, output }) }] }),
    };
  }

  it('counts a settled charge for the day, ISO week and month of its hold; a hold held before midnight and settled after counts in the period it was placed', async () => {
    const person = await ctx.fundedPerson('haiku', 1000n);
    ctx.clock.set('2026-05-31T23:59:30Z'); // a Sunday, the last day of May
    const late = await turn(person.id, 2000); // 2,000 × 5,000 / 10^6 = 10 credits
    ctx.clock.set('2026-06-01T00:00:10Z'); // Monday, a new day, week and month
    expect((await late.settle()).charged).toBe(10n);
    expect(await counters(`person:${person.id}`)).toEqual([
      { period: 'month', period_start: '2026-05-01', amount: '10' },
      { period: 'week', period_start: '2026-05-25', amount: '10' },
      { period: 'day', period_start: '2026-05-31', amount: '10' },
    ]);
    const next = await turn(person.id, 1000); // 5 credits, in June
    await next.settle();
    const june = (await counters(`person:${person.id}`)).filter((c) => c.period_start >= '2026-06-01');
    expect(june).toEqual([
      { period: 'day', period_start: '2026-06-01', amount: '5' },
      { period: 'month', period_start: '2026-06-01', amount: '5' },
      { period: 'week', period_start: '2026-06-01', amount: '5' },
    ]);
  });

  it('credit.count_hold_spend subtracts a refund from the periods of the charge it refunds, and adds a capture', async () => {
    ctx.clock.set('2026-07-10T10:00:00Z');
    const person = await ctx.fundedPerson('haiku', 1000n);
    const t = await turn(person.id, 2000);
    await t.settle();
    ctx.clock.set('2026-08-02T10:00:00Z'); // refunded the next month: July's counters go down, August's are untouched
    await ctx.db.query('SELECT credit.count_hold_spend($1, $2)', [t.placed.hold.id, -4]);
    expect(await counters(`person:${person.id}`)).toEqual([
      { period: 'week', period_start: '2026-07-06', amount: '6' },
      { period: 'day', period_start: '2026-07-10', amount: '6' },
      { period: 'month', period_start: '2026-07-01', amount: '6' },
    ].sort((a, b) => a.period_start.localeCompare(b.period_start) || a.period.localeCompare(b.period)));
    await expect(ctx.db.query('SELECT credit.count_hold_spend($1, 1)', ['00000000-0000-4000-8000-000000000000'])).rejects.toThrow('hold_not_found');
  });

  it('credit.spend_scopes is inlined into the statement that calls it, not run as a statement of its own', async () => {
    // an immutable SQL function is inlined only when its body is immutable too (uuid || text is not)
    const plan = await ctx.db.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN (VERBOSE, COSTS OFF) SELECT credit.spend_scopes(h.person_id, h.payer, h.api_key_id) FROM credit.holds h`,
    );
    const output = plan.map((row) => row['QUERY PLAN']).join('\n');
    expect(output).toContain('array_remove(');
    expect(output).not.toContain('spend_scopes');
  });

  it('a pool pays: the spend counts for the member within the pool, not for the person', async () => {
    ctx.clock.set('2026-09-15T08:00:00Z');
    const member = await ctx.fundedPerson('haiku', 10n);
    const [{ id: engagementId }] = await ctx.db.query<{ id: string }>(
      `INSERT INTO engagements (id, name, personal, owner_person_id, created_at) VALUES (gen_random_uuid(), 'Team', false, $1, $2) RETURNING id`,
      [member.id, ctx.clock.now()],
    );
    await ctx.db.query(`INSERT INTO engagement_members (engagement_id, person_id, role, created_at) VALUES ($1, $2, 'owner', $3)`, [engagementId, member.id, ctx.clock.now()]);
    await ctx.get(LedgerService).adjustPool({ engagementId, asset: 'haiku', amount: 500n, reason: 'team budget', actorPersonId: null });
    const t = await turn(member.id, 1000, { poolEngagementId: engagementId });
    await t.settle();
    expect(await counters(`member:${engagementId}:${member.id}`)).toEqual(expect.arrayContaining([{ period: 'day', period_start: '2026-09-15', amount: '5' }]));
    expect(await counters(`person:${member.id}`)).toEqual([]);
  });
});
