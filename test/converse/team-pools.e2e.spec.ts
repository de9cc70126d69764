import { LedgerService } from '@loomworks/credit/staff';
import { Transactions } from '@loomworks/database';
import { converseSuite } from '../support/converse-suite';
import type { FakeRequest } from '../support/fake-anthropic';
import type { SignedIn } from '../support/test-context';

/** A provider that reports the most it truthfully could: a token per byte sent, every max_token used. */
const truthfulWorstCase = (r: FakeRequest) => ({
  input_tokens: Buffer.byteLength(r.system) + r.messages.reduce((n, m) => n + Buffer.byteLength(m.content), 0),
  output_tokens: r.maxTokens,
});

describe('team pools: a turn in a team engagement is paid by its pool (DESIGN.md "Spend limits and team pools")', () => {
  const suite = converseSuite(60_000);
  const http = () => suite.ctx.http();

  async function team(owner: SignedIn, name = 'Research') {
    const res = await http().post('/engagements').set(suite.ctx.as(owner)).send({ name });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ id: expect.any(String), name, personal: false, role: 'owner' });
    return res.body.id as string;
  }
  const fund = (admin: SignedIn, engagementId: string, amount: number, key?: string) => {
    const req = http().post(`/admin/engagements/${engagementId}/adjustments`).set(suite.ctx.as(admin));
    return (key ? req.set('Idempotency-Key', key) : req).send({ asset: 'haiku', amount, reason: 'team budget' });
  };
  const poolBalance = (engagementId: string) =>
    suite.ctx.db.query<{ amount: string }>("SELECT coalesce(sum(amount), 0)::text AS amount FROM credit.balances WHERE party = $1 AND asset = 'haiku'", [`engagement:${engagementId}`]).then(([r]) => BigInt(r.amount));

  it('charges the pool, not the member, and shows the pool to its members', async () => {
    suite.fake.reset();
    const admin = await suite.ctx.admin();
    const owner = await suite.ctx.signedInPerson();
    const member = await suite.ctx.signedInPerson({ credit: { asset: 'haiku', amount: 500n } });
    const id = await team(owner);
    const added = await http().post(`/engagements/${id}/members`).set(suite.ctx.as(owner)).send({ email: member.person.email });
    expect(added.status).toBe(201);
    expect(added.body).toEqual({ personId: member.person.id, email: member.person.email, displayName: expect.any(String), role: 'member', limit: null, spentThisPeriod: 0 });

    // An empty pool: the member's own 500 credits are never used in the team's engagement.
    const refused = await http().post(`/engagements/${id}/converse`).set(suite.ctx.as(member)).send({ message: 'hello' });
    expect(refused.status).toBe(200);
    expect(refused.body.status).toBe('credit_exhausted');
    expect(suite.fake.requests).toHaveLength(0);

    expect((await fund(admin, id, 100, 'fund-1')).status).toBe(201);
    const again = await fund(admin, id, 100, 'fund-1'); // a retried funding answers the first flow
    expect(again.status).toBe(201);
    expect(await poolBalance(id)).toBe(100n);

    const turn = await http().post(`/engagements/${id}/converse`).set(suite.ctx.as(member)).send({ message: 'hello team' });
    expect(turn.status).toBe(200);
    expect(turn.body.status).toBe('ok');
    expect(turn.body.credit.asset).toBe('haiku');
    expect(await poolBalance(id)).toBe(100n - BigInt(turn.body.credit.charged));
    expect(turn.body.credit.balanceAfter).toBe(100 - turn.body.credit.charged);
    expect(await suite.ctx.get(LedgerService).balance(member.person.id, 'haiku')).toBe(500n);
    // the call log names the pool as the payer of both stages
    const calls = await suite.ctx.db.query<{ payer: string }>('SELECT payer FROM llm_calls WHERE turn_id = $1', [turn.body.turnId]);
    expect(calls.map((c) => c.payer)).toEqual([`engagement:${id}`, `engagement:${id}`]);

    // the member's history is their own credit's: the pool's hold, release and charge are not in it
    const history = await http().get('/me/flows').set(suite.ctx.as(member)).expect(200);
    expect(history.body.items.map((f: { kind: string; amount: number; direction: string }) => [f.kind, f.amount, f.direction])).toEqual([['issuance', 500, 'in']]);
    const csv = await http().get('/me/flows.csv').set(suite.ctx.as(member)).expect(200);
    expect(csv.text.trim().split(/\r?\n/).slice(1).map((line) => line.split(',').slice(2, 6))).toEqual([['issuance', 'haiku', '500', 'in']]);
    const staffView = await http().get(`/admin/persons/${member.person.id}/credit`).set(suite.ctx.as(admin)).expect(200);
    expect(staffView.body.flows.map((f: { kind: string }) => f.kind)).toEqual(['issuance']);

    const view = await http().get(`/engagements/${id}/credit`).set(suite.ctx.as(member));
    expect(view.status).toBe(200);
    expect(view.body.balances).toEqual([{ asset: 'haiku', amount: 100 - turn.body.credit.charged, held: 0 }]);
    expect(view.body.tier).toMatchObject({ asset: 'haiku' });
  });

  it('refuses strangers and non-owners, and unknown or personal engagements', async () => {
    const owner = await suite.ctx.signedInPerson();
    const member = await suite.ctx.signedInPerson();
    const stranger = await suite.ctx.signedInPerson();
    const id = await team(owner);
    await http().post(`/engagements/${id}/members`).set(suite.ctx.as(owner)).send({ email: member.person.email }).expect(201);
    const byMember = await http().post(`/engagements/${id}/members`).set(suite.ctx.as(member)).send({ email: stranger.person.email });
    expect(byMember.status).toBe(403);
    expect(byMember.body.error).toBe('forbidden');
    expect((await http().post(`/engagements/${id}/members`).set(suite.ctx.as(owner)).send({ email: member.person.email })).body.error).toBe('already_member');
    expect((await http().post(`/engagements/${id}/members`).set(suite.ctx.as(owner)).send({ email: 'nobody-here@example.com' })).body.error).toBe('person_not_found');
    expect((await http().get(`/engagements/${id}/credit`).set(suite.ctx.as(stranger))).status).toBe(403);
    expect((await http().get(`/engagements/${owner.person.personalEngagementId}/credit`).set(suite.ctx.as(owner))).body.error).toBe('engagement_not_found');
    const admin = await suite.ctx.admin();
    const unknown = await fund(admin, '00000000-0000-4000-8000-000000000000', 10);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toBe('engagement_not_found');
    const personal = await fund(admin, owner.person.personalEngagementId, 10);
    expect(personal.body.error).toBe('engagement_not_found');
    expect((await http().post('/engagements').set(suite.ctx.as(owner)).send({ name: '' })).status).toBe(400);
  });

  it('16 members turning in parallel on a pool that covers 3 turns never spend more than the pool', async () => {
    suite.fake.reset({ usage: truthfulWorstCase, latencyMs: 20 });
    const admin = await suite.ctx.admin();
    const owner = await suite.ctx.signedInPerson();
    const id = await team(owner);
    const members: SignedIn[] = [];
    for (let i = 0; i < 16; i++) {
      const m = await suite.ctx.signedInPerson();
      await http().post(`/engagements/${id}/members`).set(suite.ctx.as(owner)).send({ email: m.person.email }).expect(201);
      members.push(m);
    }
    // One full turn's hold is 7 haiku credits (classify 1 + respond 6 at max_tokens 1024): 3 turns' worth.
    await fund(admin, id, 21).expect(201);
    await Promise.all(Array.from({ length: 20 }, () => suite.ctx.get(Transactions).manager.query('SELECT pg_sleep(0.2)')));
    const results = await Promise.all(members.map((m, i) => http().post(`/engagements/${id}/converse`).set(suite.ctx.as(m)).send({ message: `parallel ${i}` })));
    const outcomes = results.map((r) => (r.status === 200 ? r.body.status : `${r.status} ${r.body.error}`));
    for (const outcome of outcomes) expect(['ok', 'credit_exhausted']).toContain(outcome);
    const charged = results.filter((r) => r.status === 200 && r.body.status === 'ok').reduce((sum, r) => sum + r.body.credit.charged, 0);
    expect(outcomes.filter((o) => o === 'ok').length).toBeGreaterThanOrEqual(1);
    expect(charged).toBeLessThanOrEqual(21);
    const left = await poolBalance(id);
    expect(left).toBe(21n - BigInt(charged));
    expect(left).toBeGreaterThanOrEqual(0n);
    const [{ n }] = await suite.ctx.db.query<{ n: number }>("SELECT count(*)::int AS n FROM credit.holds WHERE payer = $1 AND status = 'active'", [`engagement:${id}`]);
    expect(n).toBe(0);
  });
});
