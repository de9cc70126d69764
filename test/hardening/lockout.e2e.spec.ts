import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { TestContext, type SignedIn, uniqueEmail } from '../support/test-context';
import { SoftAuthenticator } from '../support/soft-authenticator';
import { TotpService } from '../../libs/auth/src/totp.service';

const wrongCode = async (ctx: TestContext, who: SignedIn) => ((await ctx.code(who.totpSecret)) === '000000' ? '111111' : '000000');

describe('lockout without denial of service', () => {
  let ctx: TestContext;

  beforeAll(async () => {
    ctx = await TestContext.create({ env: { LOGIN_MAX_FAILURES: '5', LOGIN_MAX_FAILURES_PER_ADDRESS: '1000', LOGIN_FAILURE_WINDOW_SECONDS: '900' } });
  });
  afterAll(() => ctx.close());

  /** A stranger's finish for the victim's address: a passkey of their own, which the account does not know. */
  const junkFinish = async (email: string) => {
    const begin = await ctx.http().post('/auth/login/begin').send({ email }).expect(200);
    return ctx.http().post('/auth/login/finish')
      .send({ loginId: begin.body.loginId, credential: new SoftAuthenticator().authenticate(begin.body.options), code: '123456' });
  };

  it("never lets a stranger's junk assertions lock the owner out", async () => {
    const victim = await ctx.signedInPerson();
    for (let i = 0; i < 12; i++) expect((await junkFinish(victim.email)).status).toBe(401);
    ctx.clock.nextTotpStep();
    const res = await ctx.login(victim);
    expect(res.status).toBe(200);
  });

  it('counts wrong TOTP codes once the passkey verified: the 6th attempt is refused', async () => {
    const who = await ctx.signedInPerson();
    for (let i = 0; i < 5; i++) {
      ctx.clock.nextTotpStep();
      expect((await ctx.login(who, {}, await wrongCode(ctx, who))).status).toBe(401);
    }
    ctx.clock.nextTotpStep();
    const blocked = await ctx.login(who);
    expect(blocked.status).toBe(429);
    expect(blocked.body).toEqual({ statusCode: 429, error: 'rate_limited', message: expect.any(String) });
  });

  it('counts failures for a 254-character address too (its throttle key fits)', async () => {
    const local = `long.${randomBytes(4).toString('hex')}.`;
    const email = `${local}${'x'.repeat(64 - local.length)}@${'d'.repeat(60)}.${'e'.repeat(60)}.${'f'.repeat(60)}.${'g'.repeat(254 - 64 - 1 - 60 * 3 - 3 - 4)}.com`;
    expect(email).toHaveLength(254);
    const who = await ctx.signedInPerson({ email });
    for (let i = 0; i < 5; i++) {
      ctx.clock.nextTotpStep();
      expect((await ctx.login(who, {}, await wrongCode(ctx, who))).status).toBe(401);
    }
    ctx.clock.nextTotpStep();
    expect((await ctx.login(who)).status).toBe(429);
  });

  it('lets at most the limit of parallel guesses reach the TOTP check (attempts taken atomically first)', async () => {
    const who = await ctx.signedInPerson();
    ctx.clock.nextTotpStep();
    const verify = jest.spyOn(ctx.app.get(TotpService, { strict: false }), 'verify');
    verify.mockClear();
    const code = await wrongCode(ctx, who);
    // Twelve challenges and assertions prepared first, then all finished at once.
    const prepared = [];
    for (let i = 0; i < 12; i++) {
      const begin = await ctx.http().post('/auth/login/begin').send({ email: who.email }).expect(200);
      prepared.push({ loginId: begin.body.loginId, credential: who.authenticator.authenticate(begin.body.options), code });
    }
    const answers = await Promise.all(prepared.map((body) => ctx.http().post('/auth/login/finish').send(body)));
    const statuses = answers.map((a) => a.status);
    expect(statuses.every((s) => s === 401 || s === 429)).toBe(true);
    expect(verify.mock.calls.length).toBeLessThanOrEqual(5);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(7);
    verify.mockRestore();
  });

  it('gives login/begin for unknown addresses decoys shaped like real credential ids, stable per address', async () => {
    const known = await ctx.signedInPerson();
    const realLength = Buffer.from(known.authenticator.id, 'base64url').length;
    expect(realLength).not.toBe(32); // the soft authenticator's ids are 16 bytes; a fixed 32-byte decoy stood out
    const ids = async (email: string) =>
      ((await ctx.http().post('/auth/login/begin').send({ email }).expect(200)).body.options.allowCredentials as { id: string; type: string }[]);
    const ghost = uniqueEmail('ghost');
    const decoys = await ids(ghost);
    expect(decoys.length).toBeGreaterThanOrEqual(1);
    const realLengths = new Set((await ctx.db.query<{ id: string }>('SELECT id FROM passkey_credentials')).map((r) => Buffer.from(r.id, 'base64url').length));
    for (const decoy of decoys) {
      expect(Object.keys(decoy).sort()).toEqual(['id', 'type']);
      expect(decoy.id).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(realLengths.has(Buffer.from(decoy.id, 'base64url').length)).toBe(true);
    }
    expect(await ids(ghost)).toEqual(decoys);
    expect((await ids(uniqueEmail('ghost')))[0].id).not.toBe(decoys[0].id);
  });
});

describe('the signup TOTP step under parallel guesses', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await TestContext.create({ env: { LOGIN_MAX_FAILURES: '3', LOGIN_MAX_FAILURES_PER_ADDRESS: '1000' } });
  });
  afterAll(() => ctx.close());

  it('checks at most the limit of codes for one registration', async () => {
    const begin = await ctx.http().post('/auth/signup/begin').send({ email: uniqueEmail('burst'), displayName: 'B' }).expect(201);
    const passkey = await ctx.http().post('/auth/signup/passkey')
      .send({ registrationId: begin.body.registrationId, credential: new SoftAuthenticator().register(begin.body.options) }).expect(200);
    const right = await ctx.code(passkey.body.totp.secret);
    const verify = jest.spyOn(ctx.app.get(TotpService, { strict: false }), 'verify');
    verify.mockClear();
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        ctx.http().post('/auth/signup/totp-verify').send({ registrationId: begin.body.registrationId, code: String((Number(right) + 1 + i) % 1_000_000).padStart(6, '0') }),
      ),
    );
    expect(answers.map((a) => a.status).every((s) => s === 400 || s === 429)).toBe(true);
    expect(verify.mock.calls.length).toBeLessThanOrEqual(3);
    verify.mockRestore();
  });
});

describe('client addresses behind a trusted proxy (TRUST_PROXY)', () => {
  it('counts starts per forwarded client only when the proxy is trusted', async () => {
    const trusting = await TestContext.create({ env: { AUTH_STARTS_PER_MINUTE: '2', TRUST_PROXY: '127.0.0.1,::1,::ffff:127.0.0.1' } });
    try {
      const start = (client: string) => trusting.http().post('/auth/login/begin').set('x-forwarded-for', client).send({ email: uniqueEmail() });
      for (const client of ['203.0.113.1', '203.0.113.1', '203.0.113.2', '203.0.113.2']) expect((await start(client)).status).toBe(200);
      expect((await start('203.0.113.1')).status).toBe(429);
      expect((await start('203.0.113.3')).status).toBe(200);
      // an IPv6 client is counted by its /64: a new address in the same /64 is the same client
      for (const client of ['2001:db8:7:1::1', '2001:db8:7:1::2']) expect((await start(client)).status).toBe(200);
      expect((await start('2001:db8:7:1:ffff:ffff:ffff:3')).status).toBe(429);
      expect((await start('2001:db8:7:2::1')).status).toBe(200);
    } finally {
      await trusting.close();
    }
    const untrusting = await TestContext.create({ env: { AUTH_STARTS_PER_MINUTE: '2' } });
    try {
      const start = (client: string) => request(untrusting.app.getHttpServer()).post('/auth/login/begin').set('x-forwarded-for', client).send({ email: uniqueEmail() });
      expect((await start('203.0.113.1')).status).toBe(200);
      expect((await start('203.0.113.2')).status).toBe(200);
      // a client cannot buy itself a fresh bucket by forging the header
      expect((await start('203.0.113.3')).status).toBe(429);
    } finally {
      await untrusting.close();
    }
  });
});
