import { setTimeout as sleep } from 'node:timers/promises';
import { AuthHousekeeping, SessionsService } from '@loomworks/auth';
import { LifecycleService } from '@loomworks/credit/staff';
import { Transactions } from '@loomworks/database';
import request from 'supertest';
import { createTestApp } from '../support/test-app';
import { SoftAuthenticator } from '../support/soft-authenticator';
import { AdminProbeController } from '../support/admin-probe.controller';
import { TestContext, type SignedIn, uniqueEmail } from '../support/test-context';

describe('login, sessions and roles over HTTP', () => {
  let ctx: TestContext;

  beforeAll(async () => {
    ctx = await TestContext.create({
      controllers: [AdminProbeController],
      env: { LOGIN_MAX_FAILURES: '3', LOGIN_MAX_FAILURES_PER_ADDRESS: '1000', LOGIN_FAILURE_WINDOW_SECONDS: '8' },
    });
  });
  afterAll(() => ctx.close());

  const expectLogin = async (status: number, ...args: Parameters<TestContext['login']>) => {
    const res = await ctx.login(...args);
    expect(res.status).toBe(status);
    return res;
  };
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  it('signs in with the passkey and a TOTP code, answering a new session', async () => {
    const who = await ctx.signedInPerson();
    ctx.clock.nextTotpStep();
    const res = await expectLogin(200, who);
    expect(res.body.person).toMatchObject({ id: who.person.id, email: who.email });
    expect(res.body.sessionToken).not.toBe(who.sessionToken);
    expect(res.headers['set-cookie'][0]).toMatch(/^loomworks_session=.*HttpOnly/);
    await ctx.http().get('/me').set(bearer(res.body.sessionToken)).expect(200);
  });

  it('answers login/begin in the same shape for unknown addresses, stably', async () => {
    const who = await ctx.signedInPerson();
    const known = await ctx.http().post('/auth/login/begin').send({ email: who.email }).expect(200);
    const ghost = uniqueEmail('ghost');
    const unknown = await ctx.http().post('/auth/login/begin').send({ email: ghost }).expect(200);
    const again = await ctx.http().post('/auth/login/begin').send({ email: ghost }).expect(200);
    const shape = (b: { loginId: string; options: Record<string, unknown> }) => [Object.keys(b).sort(), Object.keys(b.options).sort(), (b.options.allowCredentials as unknown[]).length];
    expect(shape(unknown.body)).toEqual(shape(known.body));
    expect(known.body.options.allowCredentials).toEqual([{ id: who.authenticator.id, type: 'public-key' }]);
    expect(again.body.options.allowCredentials).toEqual(unknown.body.options.allowCredentials);
  });

  describe('refusals: one code, 401 login_failed, for every cause', () => {
    let who: SignedIn;
    // A fresh account each: failures count towards the account's throttle.
    beforeEach(async () => {
      who = await ctx.signedInPerson();
      ctx.clock.nextTotpStep();
    });

    const expectFailed = async (res: { status: number; body: Record<string, unknown> }) => {
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ statusCode: 401, error: 'login_failed', message: 'The sign-in could not be verified' });
    };

    it('a wrong TOTP code', async () => {
      const code = await ctx.code(who.totpSecret);
      await expectFailed(await ctx.login(who, {}, code === '123456' ? '654321' : '123456'));
    });

    it('a replayed TOTP code', async () => {
      const code = await ctx.code(who.totpSecret);
      await expectLogin(200, who, {}, code);
      await expectFailed(await ctx.login(who, {}, code));
    });

    it('a signature counter that went backwards', async () => {
      await expectLogin(200, who, { counter: 50 });
      ctx.clock.nextTotpStep();
      await expectFailed(await ctx.login(who, { counter: 10 }));
    });

    it('a wrong origin or RP ID', async () => {
      await expectFailed(await ctx.login(who, { origin: 'https://evil.example' }));
      ctx.clock.nextTotpStep();
      await expectFailed(await ctx.login(who, { rpId: 'evil.example' }));
    });

    it('a reused or expired login challenge', async () => {
      const begin = await ctx.http().post('/auth/login/begin').send({ email: who.email }).expect(200);
      const credential = who.authenticator.authenticate(begin.body.options);
      await ctx.http().post('/auth/login/finish').send({ loginId: begin.body.loginId, credential, code: await ctx.code(who.totpSecret) }).expect(200);
      ctx.clock.nextTotpStep();
      await expectFailed(await ctx.http().post('/auth/login/finish').send({ loginId: begin.body.loginId, credential, code: await ctx.code(who.totpSecret) }));

      const late = await ctx.http().post('/auth/login/begin').send({ email: who.email }).expect(200);
      ctx.clock.advanceDays(6 / 1440);
      await expectFailed(await ctx.http().post('/auth/login/finish')
        .send({ loginId: late.body.loginId, credential: who.authenticator.authenticate(late.body.options), code: await ctx.code(who.totpSecret) }));
    });

    it('an unknown address, even with a valid-looking assertion', async () => {
      const begin = await ctx.http().post('/auth/login/begin').send({ email: uniqueEmail('ghost') }).expect(200);
      await expectFailed(await ctx.http().post('/auth/login/finish')
        .send({ loginId: begin.body.loginId, credential: who.authenticator.authenticate(begin.body.options), code: await ctx.code(who.totpSecret) }));
    });

    it('a deleted account', async () => {
      const gone = await ctx.signedInPerson();
      await ctx.get(LifecycleService).delete(gone.person.id);
      ctx.clock.nextTotpStep();
      await expectFailed(await ctx.login(gone));
    });
  });

  it('tells a suspended account 403 account_suspended after it proved itself, and keeps its sessions', async () => {
    const who = await ctx.signedInPerson();
    await ctx.get(LifecycleService).suspend(who.person.id);
    ctx.clock.nextTotpStep();
    const res = await expectLogin(403, who);
    expect(res.body.error).toBe('account_suspended');
    const me = await ctx.http().get('/me').set(bearer(who.sessionToken)).expect(200);
    expect(me.body.accountStatus).toBe('suspended');
  });

  it('throttles repeated failures per account (429 with Retry-After), then lets them try again', async () => {
    const who = await ctx.signedInPerson();
    for (let i = 0; i < 3; i++) {
      ctx.clock.nextTotpStep();
      await expectLogin(401, who, {}, '000000');
    }
    ctx.clock.nextTotpStep();
    const blocked = await expectLogin(429, who);
    expect(blocked.body.error).toBe('rate_limited');
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    await sleep(8100); // the window: long enough that a loaded machine still blocks within it
    ctx.clock.nextTotpStep();
    await expectLogin(200, who);
  });

  describe('sessions', () => {
    it('log out: 204, then the token is dead', async () => {
      const who = await ctx.signedInPerson();
      await ctx.http().post('/auth/logout').set(bearer(who.sessionToken)).expect(204);
      const res = await ctx.http().get('/me').set(bearer(who.sessionToken)).expect(401);
      expect(res.body).toEqual({ statusCode: 401, error: 'unauthenticated', message: expect.any(String) });
    });

    it('expire after the configured time', async () => {
      const who = await ctx.signedInPerson();
      ctx.clock.advanceDays(14);
      await ctx.http().get('/me').set(bearer(who.sessionToken)).expect(401);
    });

    it('all end when the account is deleted (in the deleting transaction)', async () => {
      const who = await ctx.signedInPerson();
      ctx.clock.nextTotpStep();
      const second = await expectLogin(200, who);
      await ctx.get(Transactions).run(async (tx) => {
        await ctx.get(LifecycleService).delete(who.person.id, tx);
        expect(await ctx.get(SessionsService).endAll(tx, who.person.id)).toBe(2);
      });
      await ctx.http().get('/me').set(bearer(who.sessionToken)).expect(401);
      await ctx.http().get('/me').set(bearer(second.body.sessionToken)).expect(401);
    });

    it('are swept with expired signups and login challenges, long after they ended', async () => {
      const housekeeping = ctx.get(AuthHousekeeping);
      await housekeeping.sweep(); // what earlier tests left behind
      const who = await ctx.signedInPerson();
      await ctx.http().post('/auth/login/begin').send({ email: who.email }).expect(200);
      await ctx.http().post('/auth/signup/begin').send({ email: uniqueEmail(), displayName: 'Abandoned' }).expect(201);
      const live = await ctx.db.query<{ n: number }>("SELECT count(*)::int AS n FROM sessions WHERE ended_at IS NULL AND expires_at > $1", [ctx.clock.now()]);
      expect(await housekeeping.sweep()).toEqual({ registrations: 0, loginChallenges: 0, sessions: 0 });
      ctx.clock.advanceDays(2);
      const swept = await housekeeping.sweep();
      expect(swept.registrations).toBeGreaterThan(0);
      expect(swept.loginChallenges).toBeGreaterThan(0);
      expect(swept.sessions).toBe(0);
      await ctx.http().get('/me').set(bearer(who.sessionToken)).expect(200);
      ctx.clock.advanceDays(14 + 31);
      expect((await housekeeping.sweep()).sessions).toBeGreaterThanOrEqual(live[0].n);
      expect(await ctx.db.query('SELECT 1 FROM sessions WHERE person_id = $1', [who.person.id])).toHaveLength(0);
    });

    it('refuse missing or made-up tokens with 401', async () => {
      await ctx.http().get('/me').expect(401);
      await ctx.http().get('/me').set(bearer('made-up')).expect(401);
      await ctx.http().get('/me').set('cookie', 'loomworks_session=made-up').expect(401);
    });
  });

  describe('roles', () => {
    it('admin routes: 401 without a session, 403 for members, 200 for admins', async () => {
      await ctx.http().get('/__admin-probe').expect(401);
      const member = await ctx.signedInPerson();
      const forbidden = await ctx.http().get('/__admin-probe').set(bearer(member.sessionToken)).expect(403);
      expect(forbidden.body.error).toBe('forbidden');
      const admin = await ctx.admin();
      await ctx.http().get('/__admin-probe').set(bearer(admin.sessionToken)).expect(200, { id: admin.person.id, role: 'admin' });
    });
  });
});

describe('login throttling per client address', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await TestContext.create({ env: { LOGIN_MAX_FAILURES: '100', LOGIN_MAX_FAILURES_PER_ADDRESS: '2', LOGIN_FAILURE_WINDOW_SECONDS: '60' } });
  });
  afterAll(() => ctx.close());

  const expectLogin = async (status: number, ...args: Parameters<TestContext['login']>) => {
    const res = await ctx.login(...args);
    expect(res.status).toBe(status);
    return res;
  };

  it('blocks an address that failed across accounts, even for a correct login', async () => {
    const a = await ctx.signedInPerson();
    const b = await ctx.signedInPerson();
    const c = await ctx.signedInPerson();
    ctx.clock.nextTotpStep();
    await expectLogin(401, a, {}, '000000');
    await expectLogin(401, b, {}, '000000');
    const blocked = await expectLogin(429, c);
    expect(blocked.body.error).toBe('rate_limited');

    // A second API instance on the same database sees the same counters.
    const other = await createTestApp(ctx.db.url, { env: { LOGIN_MAX_FAILURES_PER_ADDRESS: '2', LOGIN_FAILURE_WINDOW_SECONDS: '60' } });
    try {
      const begin = await request(other.getHttpServer()).post('/auth/login/begin').send({ email: c.email }).expect(200);
      const res = await request(other.getHttpServer()).post('/auth/login/finish')
        .send({ loginId: begin.body.loginId, credential: c.authenticator.authenticate(begin.body.options), code: '123456' });
      expect(res.status).toBe(429);
    } finally {
      await other.close();
    }
  });
});

describe('the session cookie on an https deployment', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await TestContext.create({ env: { PUBLIC_ORIGIN: 'https://credits.example.com', WEBAUTHN_RP_ID: 'localhost', WEBAUTHN_ORIGIN: 'http://localhost:3000' } });
  });
  afterAll(() => ctx.close());

  it('is Secure', async () => {
    const email = uniqueEmail();
    const begin = await ctx.http().post('/auth/signup/begin').send({ email, displayName: 'S' }).expect(201);
    const authenticator = new SoftAuthenticator();
    const passkey = await ctx.http().post('/auth/signup/passkey')
      .send({ registrationId: begin.body.registrationId, credential: authenticator.register(begin.body.options) }).expect(200);
    const done = await ctx.http().post('/auth/signup/totp-verify')
      .send({ registrationId: begin.body.registrationId, code: await ctx.code(passkey.body.totp.secret) }).expect(201);
    expect(done.headers['set-cookie'][0]).toMatch(/; Secure/);
  });
});

describe('public starts per client address', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await TestContext.create({ env: { AUTH_STARTS_PER_MINUTE: '3' } });
  });
  afterAll(() => ctx.close());

  it('are limited per minute across signup, login and claim (429 with Retry-After)', async () => {
    await ctx.http().post('/auth/signup/begin').send({ email: uniqueEmail(), displayName: 'A' }).expect(201);
    await ctx.http().post('/auth/login/begin').send({ email: uniqueEmail() }).expect(200);
    await ctx.http().post('/claim/grant').send({ claimToken: 'unknown' }).expect(404);
    for (const call of [
      () => ctx.http().post('/auth/signup/begin').send({ email: uniqueEmail(), displayName: 'A' }),
      () => ctx.http().post('/auth/login/begin').send({ email: uniqueEmail() }),
      () => ctx.http().post('/claim/grant').send({ claimToken: 'unknown' }),
    ]) {
      const res = await call().expect(429);
      expect(res.body.error).toBe('rate_limited');
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    }
    expect(await ctx.db.query('SELECT 1 FROM signup_registrations')).toHaveLength(1);
  });
});
