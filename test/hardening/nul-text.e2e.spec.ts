import { SystemConfigService } from '@loomworks/system-config';
import { TestContext, type SignedIn, uniqueEmail } from '../support/test-context';
import { FakeAnthropic } from '../support/fake-anthropic';

const NUL = '\u0000';

/**
 * Postgres stores no U+0000 in text or jsonb: a body that carries one in any string was a 500 on
 * every route that stores what it is sent (found by hand; the fuzz suite rarely reaches a store with
 * an otherwise valid body). The body parser refuses it as malformed input: 400, nothing done.
 */
describe('the NUL character in a JSON body', () => {
  const fake = new FakeAnthropic();
  let ctx: TestContext;
  let admin: SignedIn;
  let member: SignedIn;

  beforeAll(async () => {
    await fake.start();
    ctx = await TestContext.create({ env: { ANTHROPIC_BASE_URL: fake.url, ANTHROPIC_MAX_RETRIES: '0' } });
    await ctx.app.get(SystemConfigService).set('anthropic_api_key', 'system-key');
    admin = await ctx.admin();
    member = await ctx.signedInPerson({ credit: { asset: 'haiku', amount: 100n } });
  });
  beforeEach(() => fake.reset());
  afterEach(() => ctx.expectLedgerConsistent());
  afterAll(async () => {
    await ctx.close();
    await fake.stop();
  });

  const as = (who: SignedIn) => ({ authorization: `Bearer ${who.sessionToken}` });
  const refused = { statusCode: 400, error: 'bad_request', message: 'Text may not contain the NUL character (U+0000) or an unpaired surrogate' };

  it('is refused with 400 on every route that would store it, before any work (no LLM call, nothing written)', async () => {
    const passkeys = await ctx.http().get('/me/passkeys').set(as(member)).expect(200);
    const flowsBefore = await ctx.db.query('SELECT count(*)::int AS n FROM credit.flows');
    const cases: [string, () => Promise<{ status: number; body: unknown }>][] = [
      ['converse message', () => ctx.http().post(`/engagements/${member.person.personalEngagementId}/converse`).set(as(member)).send({ message: `a${NUL}b` })],
      ['signup display name', () => ctx.http().post('/auth/signup/begin').send({ email: uniqueEmail('nul'), displayName: `x${NUL}y` })],
      ['adjustment reason', () => ctx.http().post(`/admin/persons/${member.person.id}/adjustments`).set(as(admin)).send({ asset: 'haiku', amount: 1, reason: `r${NUL}` })],
      ['grant note', () => ctx.http().post('/admin/grants').set(as(admin)).send({ recipientEmail: uniqueEmail('nul'), asset: 'haiku', kind: 'welcome', amount: 5, note: `n${NUL}` })],
      ['passkey name', () => ctx.http().patch(`/me/passkeys/${encodeURIComponent(passkeys.body.items[0].id)}`).set(as(member)).send({ name: `k${NUL}` })],
      ['a key of the body', () => ctx.http().post('/auth/login/begin').send({ email: 'a@b.co', [`x${NUL}`]: 1 })],
      ['a string deep inside', () => ctx.http().post('/auth/login/begin').send({ email: 'a@b.co', extra: [{ deeper: [`${NUL}`] }] })],
    ];
    for (const [what, send] of cases) {
      const res = await send();
      expect({ what, status: res.status, body: res.body }).toEqual({ what, status: 400, body: refused });
    }
    expect(fake.requests).toHaveLength(0);
    expect(await ctx.db.query('SELECT count(*)::int AS n FROM credit.flows')).toEqual(flowsBefore);
  });

  it('refuses an unpaired surrogate (not Unicode) with the same 400, found by the fuzz suite as a 500 on login/begin', async () => {
    for (const [path, raw] of [
      ['/auth/login/begin', '{"email":"\\ud800"}'],
      ['/auth/signup/begin', `{"email":"${uniqueEmail('surrogate')}","displayName":"x\\udc00y"}`],
    ]) {
      const res = await ctx.http().post(path).set('content-type', 'application/json').send(raw);
      expect({ path, status: res.status, body: res.body }).toEqual({ path, status: 400, body: refused });
    }
    // a surrogate pair is an ordinary character (😀)
    await ctx.http().post('/auth/signup/begin').set('content-type', 'application/json')
      .send(`{"email": "${uniqueEmail('pair')}", "displayName": "x\\ud83d\\ude00y"}`).expect(201);
  });

  it('accepts text that merely spells it out (an escaped backslash, then u0000)', async () => {
    const res = await ctx.http().post('/auth/signup/begin').set('content-type', 'application/json')
      .send(`{"email": "${uniqueEmail('nul')}", "displayName": "x\\\\u0000y"}`).expect(201);
    expect(res.body.registrationId).toEqual(expect.any(String));
  });
});
