import { LedgerService } from '@loomworks/credit/staff';
import { converseSuite } from '../support/converse-suite';
import type { SignedIn } from '../support/test-context';

const HAIKU = 'claude-haiku-4-5-20251001';

/**
 * Spend limits over HTTP (DESIGN.md "Spend limits and team pools"; API.md Teams, /me/limit,
 * admin person limits, /v1/messages): the routes that set them, the answers that show them, and
 * the refusals they cause.
 */
describe('spend limits over HTTP', () => {
  const suite = converseSuite(60_000);
  const http = () => suite.ctx.http();
  let admin: SignedIn;
  /** moves the clock, then signs staff in afresh (sessions expire as time moves) */
  async function at(instant: string) {
    suite.ctx.clock.set(instant);
    admin = await suite.ctx.admin();
  }

  async function team(owner: SignedIn, name = 'Limited team') {
    const res = await http().post('/engagements').set(suite.ctx.as(owner)).send({ name }).expect(201);
    return res.body.id as string;
  }
  const fund = (engagementId: string, amount: number) =>
    http().post(`/admin/engagements/${engagementId}/adjustments`).set(suite.ctx.as(admin)).send({ asset: 'haiku', amount, reason: 'team budget' }).expect(201);
  const converse = (who: SignedIn, engagementId: string) =>
    http().post(`/engagements/${engagementId}/converse`).set(suite.ctx.as(who)).send({ message: 'hello' }).expect(200);
  const messages = (key: string, maxTokens: number) =>
    http().post('/v1/messages').set('x-api-key', key).send({ model: HAIKU, max_tokens: maxTokens, messages: [{ role: 'user', content: 'hi' }] });

  it('/me/limit and staff\'s limit: the lower applies, both shown with the spend this period; staff\'s changes are audited', async () => {
    suite.fake.reset();
    await at('2026-07-01T10:00:00Z');
    const person = await suite.ctx.signedInPerson({ credit: { asset: 'haiku', amount: 1000n } });
    const me = () => suite.ctx.as(person);
    expect((await http().get('/me/limit').set(me()).expect(200)).body).toEqual({ limit: null, staffLimit: null, spentThisPeriod: 0 });
    for (const bad of [{ amount: 0, period: 'day' }, { amount: 5, period: 'year' }, { amount: 1.5, period: 'day' }, { amount: 2 ** 53, period: 'day' }, { amount: 5 }]) {
      expect((await http().put('/me/limit').set(me()).send(bad)).body.error).toBe('validation_failed');
    }
    const first = await converse(person, person.person.personalEngagementId);
    expect(first.body.status).toBe('ok');
    const spent = first.body.credit.charged as number;
    expect((await http().put('/me/limit').set(me()).send({ amount: 100, period: 'day' }).expect(200)).body).toEqual({
      limit: { amount: 100, period: 'day' }, staffLimit: null, spentThisPeriod: spent,
    });
    // staff's lower limit applies: already spent this much, no headroom for another turn
    const staff = await http().put(`/admin/persons/${person.person.id}/limit`).set(suite.ctx.as(admin)).send({ amount: spent, period: 'day' }).expect(200);
    expect(staff.body).toEqual({ limit: { amount: spent, period: 'day' }, selfLimit: { amount: 100, period: 'day' }, spentThisPeriod: spent });
    const refused = await converse(person, person.person.personalEngagementId);
    expect(refused.body).toMatchObject({ status: 'limit_reached', keySource: 'system' });
    expect(suite.fake.requests).toHaveLength(2); // the refused turn called no LLM
    expect((await http().get('/me/limit').set(me()).expect(200)).body).toEqual({
      limit: { amount: 100, period: 'day' }, staffLimit: { amount: spent, period: 'day' }, spentThisPeriod: spent,
    });
    // the next day starts with the whole limit
    suite.ctx.clock.set('2026-07-02T00:00:01Z');
    expect((await converse(person, person.person.personalEngagementId)).body.status).toBe('ok');
    await http().delete(`/admin/persons/${person.person.id}/limit`).set(suite.ctx.as(admin)).expect(204);
    await http().delete('/me/limit').set(me()).expect(204);
    expect((await http().get('/me/limit').set(me()).expect(200)).body).toMatchObject({ limit: null, staffLimit: null });
    const audit = await http().get('/admin/audit?limit=2').set(suite.ctx.as(admin)).expect(200);
    expect(audit.body.items.map((a: { action: string; subjectId: string }) => [a.action, a.subjectId])).toEqual([
      ['person.limit_removed', person.person.id],
      ['person.limit_set', person.person.id],
    ]);
    const unknown = await http().put('/admin/persons/00000000-0000-4000-8000-000000000000/limit').set(suite.ctx.as(admin)).send({ amount: 5, period: 'week' });
    expect([unknown.status, unknown.body.error]).toEqual([404, 'person_not_found']);
    expect((await http().put(`/admin/persons/${person.person.id}/limit`).set(me()).send({ amount: 5, period: 'week' })).status).toBe(403);
  });

  it('members: owners list, add with a limit, change role and limit, remove; a member sees only themself; never the last owner', async () => {
    await at('2026-07-03T10:00:00Z');
    suite.fake.reset();
    const owner = await suite.ctx.signedInPerson();
    const member = await suite.ctx.signedInPerson();
    const stranger = await suite.ctx.signedInPerson();
    const id = await team(owner);
    await fund(id, 1000);
    const added = await http().post(`/engagements/${id}/members`).set(suite.ctx.as(owner)).send({ email: member.person.email, limit: { amount: 50, period: 'week' } }).expect(201);
    expect(added.body).toEqual({
      personId: member.person.id, email: member.person.email, displayName: expect.any(String), role: 'member', limit: { amount: 50, period: 'week' }, spentThisPeriod: 0,
    });
    const turn = await converse(member, id);
    expect(turn.body.status).toBe('ok');
    const list = await http().get(`/engagements/${id}/members`).set(suite.ctx.as(owner)).expect(200);
    expect(list.body.items.map((m: { personId: string; role: string; spentThisPeriod: number }) => [m.personId, m.role, m.spentThisPeriod])).toEqual([
      [owner.person.id, 'owner', 0],
      [member.person.id, 'member', turn.body.credit.charged],
    ]);
    const staffView = await http().get(`/admin/engagements/${id}/credit`).set(suite.ctx.as(admin)).expect(200);
    expect(staffView.body).toEqual({ balances: [{ asset: 'haiku', amount: 1000 - turn.body.credit.charged, held: 0 }], holds: [], members: list.body.items, flows: expect.any(Array), nextCursor: null });
    expect((await http().get(`/admin/engagements/${owner.person.personalEngagementId}/credit`).set(suite.ctx.as(admin))).body.error).toBe('engagement_not_found');
    expect((await http().get(`/admin/engagements/${id}/credit`).set(suite.ctx.as(member))).status).toBe(403);
    const own = await http().get(`/engagements/${id}/members`).set(suite.ctx.as(member)).expect(200);
    expect(own.body.items.map((m: { personId: string }) => m.personId)).toEqual([member.person.id]);
    expect((await http().get(`/engagements/${id}/members`).set(suite.ctx.as(stranger))).status).toBe(403);
    expect((await http().get(`/engagements/${owner.person.personalEngagementId}/members`).set(suite.ctx.as(owner))).body.error).toBe('engagement_not_found');

    // a limit of what was spent: the member's next turn is refused; null removes it
    const capped = await http().patch(`/engagements/${id}/members/${member.person.id}`).set(suite.ctx.as(owner)).send({ limit: { amount: turn.body.credit.charged, period: 'day' } }).expect(200);
    expect(capped.body).toMatchObject({ role: 'member', limit: { amount: turn.body.credit.charged, period: 'day' }, spentThisPeriod: turn.body.credit.charged });
    expect((await converse(member, id)).body.status).toBe('limit_reached');
    expect((await http().patch(`/engagements/${id}/members/${member.person.id}`).set(suite.ctx.as(owner)).send({ limit: null }).expect(200)).body.limit).toBeNull();
    expect((await converse(member, id)).body.status).toBe('ok');
    expect((await http().patch(`/engagements/${id}/members/${member.person.id}`).set(suite.ctx.as(owner)).send({ limit: { amount: -1, period: 'day' } })).body.error).toBe('validation_failed');
    expect((await http().patch(`/engagements/${id}/members/${member.person.id}`).set(suite.ctx.as(member)).send({ role: 'owner' })).status).toBe(403);

    // never the last owner: neither demoted nor removed; with a second owner, either may go
    const demote = await http().patch(`/engagements/${id}/members/${owner.person.id}`).set(suite.ctx.as(owner)).send({ role: 'member' });
    expect([demote.status, demote.body.error]).toEqual([409, 'last_owner']);
    expect((await http().delete(`/engagements/${id}/members/${owner.person.id}`).set(suite.ctx.as(owner))).body.error).toBe('last_owner');
    await http().patch(`/engagements/${id}/members/${member.person.id}`).set(suite.ctx.as(owner)).send({ role: 'owner' }).expect(200);
    // two owners demoting each other at once: one of them stays an owner
    const both = await Promise.all([
      http().patch(`/engagements/${id}/members/${member.person.id}`).set(suite.ctx.as(owner)).send({ role: 'member' }),
      http().patch(`/engagements/${id}/members/${owner.person.id}`).set(suite.ctx.as(member)).send({ role: 'member' }),
    ]);
    expect(both.map((r) => r.status).sort()).toEqual(expect.arrayContaining([200]));
    const owners = (await suite.ctx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM engagement_members WHERE engagement_id = $1 AND role = 'owner'`, [id]))[0].n;
    expect(owners).toBe(1);
    const remaining = owners === 1 && both[0].status === 200 ? owner : member;
    const other = remaining === owner ? member : owner;
    await http().delete(`/engagements/${id}/members/${other.person.id}`).set(suite.ctx.as(remaining)).expect(204);
    expect((await http().delete(`/engagements/${id}/members/${other.person.id}`).set(suite.ctx.as(remaining))).body.error).toBe('member_not_found');
    expect((await http().patch(`/engagements/${id}/members/${stranger.person.id}`).set(suite.ctx.as(remaining)).send({ role: 'member' })).body.error).toBe('member_not_found');
    const left = await http().post(`/engagements/${id}/converse`).set(suite.ctx.as(other)).send({ message: 'still here?' });
    expect([left.status, left.body.error]).toEqual([403, 'forbidden']);
  });

  it('API keys: the key\'s limit on /v1/messages (429 with Retry-After to the end of the day), its spend in ApiKeyView; a team-bound key draws the pool', async () => {
    await at('2026-07-04T22:00:00Z');
    suite.fake.reset();
    const person = await suite.ctx.signedInPerson({ credit: { asset: 'haiku', amount: 1000n } });
    const created = await http().post('/me/api-keys').set(suite.ctx.as(person)).send({ name: 'capped', limit: { amount: 5, period: 'day' } }).expect(201);
    const key = created.body.key as string;
    // a bound of 6 credits (1,000 max_tokens × 5,000 / 10^6 + input) exceeds the 5 of the limit
    const over = await messages(key, 1000);
    expect(over.status).toBe(429);
    expect(over.body).toEqual({ type: 'error', error: { type: 'rate_limit_error', message: expect.stringContaining('limit') } });
    expect(over.headers['retry-after']).toBe('7200');
    expect(suite.fake.requests).toHaveLength(0);
    const ok = await messages(key, 500);
    expect(ok.status).toBe(200);
    const charged = Number(ok.headers['loomworks-credit-charged']);
    expect(charged).toBeGreaterThan(0);
    const keys = await http().get('/me/api-keys').set(suite.ctx.as(person)).expect(200);
    expect(keys.body.items).toEqual([expect.objectContaining({ id: created.body.id, limit: { amount: 5, period: 'day' }, spentThisPeriod: charged })]);
    expect((await messages(key, 500)).status).toBe(charged + 3 <= 5 ? 200 : 429);

    // a key bound to a team: the pool pays, the member's own credit doesn't
    const owner = await suite.ctx.signedInPerson();
    const id = await team(owner, 'Key team');
    await fund(id, 200);
    await http().post(`/engagements/${id}/members`).set(suite.ctx.as(owner)).send({ email: person.person.email }).expect(201);
    const own = await suite.ctx.get(LedgerService).balance(person.person.id, 'haiku');
    const teamKey = (await http().post('/me/api-keys').set(suite.ctx.as(person)).send({ name: 'team', engagementId: id }).expect(201)).body.key as string;
    const paid = await messages(teamKey, 500);
    expect(paid.status).toBe(200);
    const pool = await http().get(`/engagements/${id}/credit`).set(suite.ctx.as(owner)).expect(200);
    expect(pool.body.balances).toEqual([{ asset: 'haiku', amount: 200 - Number(paid.headers['loomworks-credit-charged']), held: 0 }]);
    expect(await suite.ctx.get(LedgerService).balance(person.person.id, 'haiku')).toBe(own);
    const [call] = await suite.ctx.db.query<{ payer: string }>('SELECT payer FROM llm_calls WHERE id = $1', [paid.headers['loomworks-request-id']]);
    expect(call.payer).toBe(`engagement:${id}`);
    // the member's limit in the pool applies to the key's calls too
    await http().patch(`/engagements/${id}/members/${person.person.id}`).set(suite.ctx.as(owner)).send({ limit: { amount: 1, period: 'month' } }).expect(200);
    const limited = await messages(teamKey, 500);
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBe(String(27 * 86_400 + 7200)); // to 1 August, 00:00 UTC
    // removed from the team: the key no longer draws its pool
    await http().delete(`/engagements/${id}/members/${person.person.id}`).set(suite.ctx.as(owner)).expect(204);
    const gone = await messages(teamKey, 500);
    expect([gone.status, gone.body.error?.type]).toEqual([403, 'permission_error']);
  });
});
