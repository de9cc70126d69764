import { AdminTokensService } from '@loomworks/auth';
import { GrantsService } from '@loomworks/credit/staff';
import { SystemConfigService } from '@loomworks/system-config';
import { uniqueEmail } from '../support/credit-fixtures';
import { AuthWorld, type SignedUp } from '../support/auth-world';
import { FakeAnthropic } from '../support/fake-anthropic';

const NUL = '\u0000';

/**
 * Postgres stores no U+0000 in text or jsonb: a body that carries one in any string was a 500 on
 * every route that stores what it is sent (found by hand; the fuzz suite rarely reaches a store with
 * an otherwise valid body). The body parser refuses it as malformed input: 400, nothing done.
 */
describe('the NUL character in a JSON body', () => {
  const fake = new FakeAnthropic();
  let world: AuthWorld;
  let admin: SignedUp;
  let member: SignedUp;

  beforeAll(async () => {
    await fake.start();
    world = await AuthWorld.create({ env: { ANTHROPIC_BASE_URL: fake.url, ANTHROPIC_MAX_RETRIES: '0' } });
    await world.app.get(SystemConfigService).set('anthropic_api_key', 'system-key');
    const { adminToken } = await world.app.get(AdminTokensService).create();
    admin = await world.signup({ adminToken, displayName: 'Admin' });
    const email = uniqueEmail('nul');
    const { claimToken } = await world.app.get(GrantsService).issue({ recipientEmail: email, asset: 'haiku', kind: 'welcome', amount: 100n });
    member = await world.signup({ email, claimToken });
  });
  beforeEach(() => fake.reset());
  afterEach(() => world.expectLedgerConsistent());
  afterAll(async () => {
    await world.close();
    await fake.stop();
  });

  const as = (who: SignedUp) => ({ authorization: `Bearer ${who.sessionToken}` });
  const refused = { statusCode: 400, error: 'bad_request', message: 'Text may not contain the NUL character (U+0000)' };

  it('is refused with 400 on every route that would store it, before any work (no LLM call, nothing written)', async () => {
    const passkeys = await world.http().get('/me/passkeys').set(as(member)).expect(200);
    const flowsBefore = await world.db.query('SELECT count(*)::int AS n FROM credit.flows');
    const cases: [string, () => Promise<{ status: number; body: unknown }>][] = [
      ['converse message', () => world.http().post(`/engagements/${member.person.personalEngagementId}/converse`).set(as(member)).send({ message: `a${NUL}b` })],
      ['signup display name', () => world.http().post('/auth/signup/begin').send({ email: uniqueEmail('nul'), displayName: `x${NUL}y` })],
      ['adjustment reason', () => world.http().post(`/admin/persons/${member.person.id}/adjustments`).set(as(admin)).send({ asset: 'haiku', amount: 1, reason: `r${NUL}` })],
      ['grant note', () => world.http().post('/admin/grants').set(as(admin)).send({ recipientEmail: uniqueEmail('nul'), asset: 'haiku', kind: 'welcome', amount: 5, note: `n${NUL}` })],
      ['passkey name', () => world.http().patch(`/me/passkeys/${encodeURIComponent(passkeys.body.items[0].id)}`).set(as(member)).send({ name: `k${NUL}` })],
      ['a key of the body', () => world.http().post('/auth/login/begin').send({ email: 'a@b.co', [`x${NUL}`]: 1 })],
      ['a string deep inside', () => world.http().post('/auth/login/begin').send({ email: 'a@b.co', extra: [{ deeper: [`${NUL}`] }] })],
    ];
    for (const [what, send] of cases) {
      const res = await send();
      expect({ what, status: res.status, body: res.body }).toEqual({ what, status: 400, body: refused });
    }
    expect(fake.requests).toHaveLength(0);
    expect(await world.db.query('SELECT count(*)::int AS n FROM credit.flows')).toEqual(flowsBefore);
  });

  it('accepts text that merely spells it out (an escaped backslash, then u0000)', async () => {
    const res = await world.http().post('/auth/signup/begin').set('content-type', 'application/json')
      .send(`{"email": "${uniqueEmail('nul')}", "displayName": "x\\\\u0000y"}`).expect(201);
    expect(res.body.registrationId).toEqual(expect.any(String));
  });
});
