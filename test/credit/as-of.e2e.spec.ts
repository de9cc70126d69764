import { LedgerService } from '@loomworks/credit/staff';
import { statementsOf } from '../support/statements';
import { TestContext, type SignedIn } from '../support/test-context';

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
    // A ledger where a scan costs: 5,000 flows of another person through the one flow writer,
    // and statistics that know it (a plan on a near-empty table rightly scans it).
    const other = await ctx.signedInPerson();
    await ctx.db.query(
      `SELECT count(*) FROM credit.write_flows(
         p_kinds => array_fill('adjustment'::text, ARRAY[5000]), p_assets => array_fill('haiku'::text, ARRAY[5000]),
         p_amounts => array_fill(1::bigint, ARRAY[5000]), p_from => array_fill('system:issuer'::text, ARRAY[5000]),
         p_to => array_fill($1::text, ARRAY[5000]), p_persons => array_fill($2::uuid, ARRAY[5000]),
         p_keys => ARRAY(SELECT 'as-of-filler:' || g FROM generate_series(1, 5000) g),
         p_metadata => array_fill('{}'::jsonb, ARRAY[5000]), p_at => $3, p_grants => array_fill(NULL::uuid, ARRAY[5000]))`,
      [`person:${other.person.id}`, other.person.id, at(2000)],
    );
    await ctx.db.query('ANALYZE credit.flows');
    // the statement the app sends for ?asOf=, as it sends it
    const sent = await statementsOf(async () => {
      const res = await ctx.app.getHttpAdapter().getInstance().inject({ method: 'GET', url: `/me/credit?asOf=${encodeURIComponent(at(0))}`, headers: ctx.as(member) });
      expect(res.statusCode).toBe(200);
    });
    const statement = sent.find((sql) => sql.includes('created_at <= $2'));
    expect(statement).toBeDefined();
    const plan = (await ctx.db.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${statement}`, [`person:${member.person.id}`, new Date(at(0))]))
      .map((r) => r['QUERY PLAN'])
      .join('\n');
    expect(plan).toMatch(/flows_to_party_at_idx/);
    expect(plan).toMatch(/flows_from_party_at_idx/);
    expect(plan).not.toMatch(/Seq Scan on flows/);
    await ctx.expectLedgerConsistent({ full: true });
  });
});
