import { LedgerService } from '@loomworks/credit/staff';
import { TestContext, waitFor, type SignedIn } from '../support/test-context';

/**
 * As-of balances (DESIGN.md "Tamper evidence", API.md `?asOf=`): a payer's ledger balances at a
 * past instant, from the flows, exactly — flows created at or before the instant count, so two
 * flows of the same millisecond are both in or both out — read through an index, not a scan.
 */
describe('as-of balances: GET /me/credit, /admin/persons/:id/credit and /engagements/:id/credit with ?asOf=', () => {
  let ctx: TestContext;
  let admin: SignedIn;
  let member: SignedIn;
  let t0: Date;
  const at = (ms: number) => new Date(t0.getTime() + ms).toISOString();
  const http = () => ctx.http();

  beforeAll(async () => {
    ctx = await TestContext.create();
    admin = await ctx.admin();
    ctx.clock.advanceSeconds(60);
    t0 = ctx.clock.now();
    // two flows in one millisecond: the claim at signup and an adjustment
    member = await ctx.signedInPerson({ credit: { asset: 'haiku', amount: 100n } });
    const ledger = ctx.get(LedgerService);
    await ledger.adjust({ personId: member.person.id, asset: 'haiku', amount: 20n, reason: 'same ms', actorPersonId: null });
    ctx.clock.set(at(1000));
    await ledger.adjust({ personId: member.person.id, asset: 'haiku', amount: -30n, reason: 'a second later', actorPersonId: null });
    await ledger.adjust({ personId: member.person.id, asset: 'sonnet', amount: 7n, reason: 'another asset', actorPersonId: null });
    ctx.clock.set(at(5000));
  });
  afterAll(() => ctx.close());

  const asOf = (instant: string) => http().get('/me/credit').query({ asOf: instant }).set(ctx.as(member));

  it('counts every flow of the same millisecond, and none before the first flow', async () => {
    const flows = await ctx.db.query<{ created_at: Date }>('SELECT created_at FROM credit.flows WHERE to_party = $1 OR from_party = $1', [`person:${member.person.id}`]);
    expect(flows.filter((f) => f.created_at.getTime() === t0.getTime())).toHaveLength(2);

    const before = await asOf(at(-1));
    expect(before.status).toBe(200);
    expect(before.body).toEqual({ balances: [{ asset: 'haiku', amount: 0 }, { asset: 'sonnet', amount: 0 }], asOf: at(-1) });
    expect((await asOf(at(0))).body.balances).toEqual([{ asset: 'haiku', amount: 120 }, { asset: 'sonnet', amount: 0 }]);
    expect((await asOf(at(999))).body.balances).toEqual([{ asset: 'haiku', amount: 120 }, { asset: 'sonnet', amount: 0 }]);
    expect((await asOf(at(1000))).body.balances).toEqual([{ asset: 'haiku', amount: 90 }, { asset: 'sonnet', amount: 7 }]);
  });

  it('equals the current ledger balance now, and answers the plain view without asOf', async () => {
    const now = await asOf(ctx.clock.now().toISOString());
    const current = await http().get('/me/credit').set(ctx.as(member)).expect(200);
    expect(current.body.asOf).toBeUndefined();
    expect(now.body.balances).toEqual(current.body.balances.map((b: { asset: string; amount: number; held: number }) => ({ asset: b.asset, amount: b.amount })));
    // a person with no flows at all: no balances
    const fresh = await ctx.signedInPerson();
    expect((await http().get('/me/credit').query({ asOf: at(0) }).set(ctx.as(fresh))).body).toEqual({ balances: [], asOf: at(0) });
  });

  it.each([['yesterday'], ['2026-02-30T00:00:00Z'], ['1780000000000'], ['']])('refuses asOf=%j with 400 validation_failed', async (value) => {
    const res = await asOf(value);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('validation_failed');
  });

  it('refuses an instant in the future', async () => {
    const res = await asOf(at(5001));
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'validation_failed', fields: [{ field: 'asOf', message: expect.stringContaining('future') }] });
  });

  it('gives staff the same for any person, with 404 for an unknown one', async () => {
    const res = await http().get(`/admin/persons/${member.person.id}/credit`).query({ asOf: at(999) }).set(ctx.as(admin));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ balances: [{ asset: 'haiku', amount: 120 }, { asset: 'sonnet', amount: 0 }], asOf: at(999) });
    const plain = await http().get(`/admin/persons/${member.person.id}/credit`).set(ctx.as(admin)).expect(200);
    expect(plain.body.flows).toHaveLength(4);
    expect((await http().get('/admin/persons/00000000-0000-4000-8000-000000000000/credit').query({ asOf: at(0) }).set(ctx.as(admin))).status).toBe(404);
    expect((await http().get(`/admin/persons/${member.person.id}/credit`).query({ asOf: 'soon' }).set(ctx.as(admin))).status).toBe(400);
    expect((await http().get(`/admin/persons/${member.person.id}/credit`).query({ asOf: at(0) }).set(ctx.as(member))).status).toBe(403);
  });

  it("shows a pool's balances as of an instant to its members only", async () => {
    const team = await http().post('/engagements').set(ctx.as(member)).send({ name: 'Audit team' }).expect(201);
    const id = team.body.id as string;
    ctx.clock.set(at(10_000));
    await http().post(`/admin/engagements/${id}/adjustments`).set(ctx.as(admin)).send({ asset: 'haiku', amount: 50, reason: 'fund' }).expect(201);
    ctx.clock.set(at(11_000));
    await http().post(`/admin/engagements/${id}/adjustments`).set(ctx.as(admin)).send({ asset: 'haiku', amount: -5, reason: 'debit' }).expect(201);
    ctx.clock.set(at(12_000));
    const pool = (instant: string, who = member) => http().get(`/engagements/${id}/credit`).query({ asOf: instant }).set(ctx.as(who));
    expect((await pool(at(9_999))).body).toEqual({ balances: [{ asset: 'haiku', amount: 0 }], asOf: at(9_999) });
    expect((await pool(at(10_000))).body.balances).toEqual([{ asset: 'haiku', amount: 50 }]);
    expect((await pool(at(11_000))).body.balances).toEqual([{ asset: 'haiku', amount: 45 }]);
    expect((await pool(at(13_000))).status).toBe(400);
    expect((await pool(at(10_000), admin)).status).toBe(403);
    expect((await http().get(`/engagements/${member.person.personalEngagementId}/credit`).query({ asOf: at(0) }).set(ctx.as(member))).body.error).toBe('engagement_not_found');
  });

  it('reads the payer indexes, not the whole ledger', async () => {
    const scans = async () => {
      const rows = await ctx.db.query<{ n: string }>(
        "SELECT sum(idx_scan)::text AS n FROM pg_stat_user_indexes WHERE indexrelname IN ('flows_to_party_at_idx', 'flows_from_party_at_idx')",
      );
      return BigInt(rows[0].n ?? 0);
    };
    const before = await scans();
    await asOf(at(0)).expect(200);
    await waitFor(async () => (await scans()) >= before + 2n);
    await ctx.expectLedgerConsistent({ full: true });
  });
});
