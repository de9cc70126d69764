import { TestContext, type SignedIn, uniqueEmail } from '../support/test-context';
import { SoftAuthenticator } from '../support/soft-authenticator';

const OURS = 'http://localhost:3000';
const JSON_TYPE = { 'content-type': 'application/json' };

describe('CSRF: cookie-authenticated writes come from our origin, as JSON', () => {
  let ctx: TestContext;
  let admin: SignedIn;
  let cookie: string;

  beforeAll(async () => {
    ctx = await TestContext.create();
    admin = await ctx.admin();
    cookie = `loomworks_session=${admin.sessionToken}`;
  });
  afterAll(() => ctx.close());

  const newMember = async () => (await ctx.signedInPerson()).person.id;
  const statusOf = async (id: string) =>
    (await ctx.http().get(`/admin/persons?email=${encodeURIComponent((await ctx.db.query<{ email: string }>('SELECT email FROM persons WHERE id = $1', [id]))[0].email)}`)
      .set('authorization', `Bearer ${admin.sessionToken}`).expect(200)).body.items[0].accountStatus;

  it.each([
    ['no Origin at all', {}],
    ['a foreign Origin', { origin: 'https://evil.example' }],
    ['a same-site sibling Origin', { origin: 'http://blog.localhost:3000' }],
    ['Origin null (sandboxed frame)', { origin: 'null' }],
    ['Sec-Fetch-Site same-site', { 'sec-fetch-site': 'same-site' }],
  ])('refuses a bodiless admin action through the cookie with %s (403 csrf_refused), changing nothing', async (_, headers) => {
    const id = await newMember();
    const res = await ctx.http().post(`/admin/persons/${id}/suspend`).set('cookie', cookie).set(JSON_TYPE).set(headers).expect(403);
    expect(res.body).toEqual({ statusCode: 403, error: 'csrf_refused', message: expect.any(String) });
    expect(await statusOf(id)).toBe('active');
  });

  it('refuses a cookie write from our origin that is not JSON', async () => {
    const id = await newMember();
    const res = await ctx.http().post(`/admin/persons/${id}/suspend`).set('cookie', cookie).set('origin', OURS).expect(403);
    expect(res.body.error).toBe('csrf_refused');
    expect(await statusOf(id)).toBe('active');
  });

  it.each([
    ['Origin among the configured origins', { origin: OURS }],
    ['Sec-Fetch-Site same-origin', { 'sec-fetch-site': 'same-origin' }],
  ])('accepts a JSON cookie write with %s (what the pages send)', async (_, headers) => {
    const id = await newMember();
    await ctx.http().post(`/admin/persons/${id}/suspend`).set('cookie', cookie).set(JSON_TYPE).set(headers).expect(200);
    expect(await statusOf(id)).toBe('suspended');
  });

  it('exempts Bearer requests (no ambient credential), whatever their Origin', async () => {
    const id = await newMember();
    await ctx.http().post(`/admin/persons/${id}/suspend`).set('authorization', `Bearer ${admin.sessionToken}`).set('origin', 'https://evil.example').expect(200);
  });

  it('lets reads through the cookie without Origin (GET is not a write)', async () => {
    await ctx.http().get('/me').set('cookie', cookie).expect(200);
  });

  describe('login CSRF (logging the victim into the attacker account)', () => {
    const begun = async () => {
      const email = uniqueEmail('csrf');
      const begin = await ctx.http().post('/auth/signup/begin').send({ email, displayName: 'Attacker' }).expect(201);
      const passkey = await ctx.http().post('/auth/signup/passkey')
        .send({ registrationId: begin.body.registrationId, credential: new SoftAuthenticator().register(begin.body.options) }).expect(200);
      return { registrationId: begin.body.registrationId as string, secret: passkey.body.totp.secret as string };
    };

    it('refuses a cross-site form POST to totp-verify (415): no session cookie is set', async () => {
      const { registrationId, secret } = await begun();
      const res = await ctx.http().post('/auth/signup/totp-verify').set('origin', 'https://evil.example')
        .set('content-type', 'application/x-www-form-urlencoded').send(`registrationId=${registrationId}&code=${await ctx.code(secret)}`).expect(415);
      expect(res.headers['set-cookie']).toBeUndefined();
    });

    it('refuses a cross-site text/plain POST (the other preflight-free type) to totp-verify', async () => {
      const { registrationId, secret } = await begun();
      const res = await ctx.http().post('/auth/signup/totp-verify').set('origin', 'https://evil.example')
        .set('content-type', 'text/plain').send(JSON.stringify({ registrationId, code: await ctx.code(secret) }));
      expect([403, 415]).toContain(res.status);
      expect(res.headers['set-cookie']).toBeUndefined();
    });

    it('refuses any write a browser marks as coming from a foreign origin, even as JSON', async () => {
      const { registrationId, secret } = await begun();
      const res = await ctx.http().post('/auth/signup/totp-verify').set('origin', 'https://evil.example').set(JSON_TYPE)
        .send({ registrationId, code: await ctx.code(secret) }).expect(403);
      expect(res.body.error).toBe('csrf_refused');
      expect(res.headers['set-cookie']).toBeUndefined();
      // the same step from our own page works
      await ctx.http().post('/auth/signup/totp-verify').set('origin', OURS).set(JSON_TYPE).send({ registrationId, code: await ctx.code(secret) }).expect(201);
    });
  });
});

describe('the session cookie on https', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await TestContext.create({ env: { PUBLIC_ORIGIN: 'https://credits.example.com', WEBAUTHN_RP_ID: 'localhost', WEBAUTHN_ORIGIN: 'http://localhost:3000' } });
  });
  afterAll(() => ctx.close());

  it('is __Host- prefixed (Secure, Path=/, no Domain) and only that name is accepted', async () => {
    const email = uniqueEmail();
    const begin = await ctx.http().post('/auth/signup/begin').send({ email, displayName: 'S' }).expect(201);
    const passkey = await ctx.http().post('/auth/signup/passkey')
      .send({ registrationId: begin.body.registrationId, credential: new SoftAuthenticator().register(begin.body.options) }).expect(200);
    const done = await ctx.http().post('/auth/signup/totp-verify')
      .send({ registrationId: begin.body.registrationId, code: await ctx.code(passkey.body.totp.secret) }).expect(201);
    const setCookie = done.headers['set-cookie'][0] as string;
    expect(setCookie).toMatch(/^__Host-loomworks_session=[\w-]+;/);
    expect(setCookie).toMatch(/; Secure/);
    expect(setCookie).toMatch(/; Path=\//);
    expect(setCookie).not.toMatch(/Domain=/i);
    await ctx.http().get('/me').set('cookie', `__Host-loomworks_session=${done.body.sessionToken}`).expect(200);
    // a cookie a sibling subdomain could have planted, without the prefix, is not a session here
    await ctx.http().get('/me').set('cookie', `loomworks_session=${done.body.sessionToken}`).expect(401);
    // and writes through it need our https origin
    await ctx.http().post('/auth/logout').set('cookie', `__Host-loomworks_session=${done.body.sessionToken}`).set(JSON_TYPE).set('origin', 'http://credits.example.com').expect(403);
    await ctx.http().post('/auth/logout').set('cookie', `__Host-loomworks_session=${done.body.sessionToken}`).set(JSON_TYPE).set('origin', 'https://credits.example.com').expect(204);
  });
});
