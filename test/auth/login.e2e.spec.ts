import { setTimeout as sleep } from 'node:timers/promises';
import { AdminTokensService, AuthHousekeeping, SessionsService } from '@loomworks/auth';
import { LifecycleService } from '@loomworks/credit/staff';
import { Transactions } from '@loomworks/database';
import request from 'supertest';
import { uniqueEmail } from '../support/credit-fixtures';
import { createTestApp } from '../support/test-app';
import { SoftAuthenticator } from '../support/soft-authenticator';
import { AdminProbeController } from '../support/admin-probe.controller';
import { AuthWorld, type SignedUp } from '../support/auth-world';

describe('login, sessions and roles over HTTP', () => {
  let world: AuthWorld;

  beforeAll(async () => {
    world = await AuthWorld.create({
      controllers: [AdminProbeController],
      env: { LOGIN_MAX_FAILURES: '3', LOGIN_MAX_FAILURES_PER_ADDRESS: '1000', LOGIN_FAILURE_WINDOW_SECONDS: '8' },
    });
  });
  afterAll(() => world.close());

  const expectLogin = async (status: number, ...args: Parameters<AuthWorld['login']>) => {
    const res = await world.login(...args);
    expect(res.status).toBe(status);
    return res;
  };
  /** Each login needs a fresh TOTP step: a code is accepted once. */
  const nextStep = () => world.clock.advanceDays(30 / 86400);
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  it('signs in with the passkey and a TOTP code, answering a new session', async () => {
    const who = await world.signup();
    nextStep();
    const res = await expectLogin(200, who);
    expect(res.body.person).toMatchObject({ id: who.person.id, email: who.email });
    expect(res.body.sessionToken).not.toBe(who.sessionToken);
    expect(res.headers['set-cookie'][0]).toMatch(/^loomworks_session=.*HttpOnly/);
    await world.http().get('/me').set(bearer(res.body.sessionToken)).expect(200);
  });

  it('answers login/begin in the same shape for unknown addresses, stably', async () => {
    const who = await world.signup();
    const known = await world.http().post('/auth/login/begin').send({ email: who.email }).expect(200);
    const ghost = uniqueEmail('ghost');
    const unknown = await world.http().post('/auth/login/begin').send({ email: ghost }).expect(200);
    const again = await world.http().post('/auth/login/begin').send({ email: ghost }).expect(200);
    const shape = (b: { loginId: string; options: Record<string, unknown> }) => [Object.keys(b).sort(), Object.keys(b.options).sort(), (b.options.allowCredentials as unknown[]).length];
    expect(shape(unknown.body)).toEqual(shape(known.body));
    expect(known.body.options.allowCredentials).toEqual([{ id: who.authenticator.id, type: 'public-key' }]);
    expect(again.body.options.allowCredentials).toEqual(unknown.body.options.allowCredentials);
  });

  describe('refusals: one code, 401 login_failed, for every cause', () => {
    let who: SignedUp;
    // A fresh account each: failures count towards the account's throttle.
    beforeEach(async () => {
      who = await world.signup();
      nextStep();
    });

    const expectFailed = async (res: { status: number; body: Record<string, unknown> }) => {
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ statusCode: 401, error: 'login_failed', message: 'The sign-in could not be verified' });
    };

    it('a wrong TOTP code', async () => {
      const code = await world.code(who.totpSecret);
      await expectFailed(await world.login(who, {}, code === '123456' ? '654321' : '123456'));
    });

    it('a replayed TOTP code', async () => {
      const code = await world.code(who.totpSecret);
      await expectLogin(200, who, {}, code);
      await expectFailed(await world.login(who, {}, code));
    });

    it('a signature counter that went backwards', async () => {
      await expectLogin(200, who, { counter: 50 });
      nextStep();
      await expectFailed(await world.login(who, { counter: 10 }));
    });

    it('a wrong origin or RP ID', async () => {
      await expectFailed(await world.login(who, { origin: 'https://evil.example' }));
      nextStep();
      await expectFailed(await world.login(who, { rpId: 'evil.example' }));
    });

    it('a reused or expired login challenge', async () => {
      const begin = await world.http().post('/auth/login/begin').send({ email: who.email }).expect(200);
      const credential = who.authenticator.authenticate(begin.body.options);
      await world.http().post('/auth/login/finish').send({ loginId: begin.body.loginId, credential, code: await world.code(who.totpSecret) }).expect(200);
      nextStep();
      await expectFailed(await world.http().post('/auth/login/finish').send({ loginId: begin.body.loginId, credential, code: await world.code(who.totpSecret) }));

      const late = await world.http().post('/auth/login/begin').send({ email: who.email }).expect(200);
      world.clock.advanceDays(6 / 1440);
      await expectFailed(await world.http().post('/auth/login/finish')
        .send({ loginId: late.body.loginId, credential: who.authenticator.authenticate(late.body.options), code: await world.code(who.totpSecret) }));
    });

    it('an unknown address, even with a valid-looking assertion', async () => {
      const begin = await world.http().post('/auth/login/begin').send({ email: uniqueEmail('ghost') }).expect(200);
      await expectFailed(await world.http().post('/auth/login/finish')
        .send({ loginId: begin.body.loginId, credential: who.authenticator.authenticate(begin.body.options), code: await world.code(who.totpSecret) }));
    });

    it('a deleted account', async () => {
      const gone = await world.signup();
      await world.app.get(LifecycleService).delete(gone.person.id);
      nextStep();
      await expectFailed(await world.login(gone));
    });
  });

  it('tells a suspended account 403 account_suspended after it proved itself, and keeps its sessions', async () => {
    const who = await world.signup();
    await world.app.get(LifecycleService).suspend(who.person.id);
    nextStep();
    const res = await expectLogin(403, who);
    expect(res.body.error).toBe('account_suspended');
    const me = await world.http().get('/me').set(bearer(who.sessionToken)).expect(200);
    expect(me.body.accountStatus).toBe('suspended');
  });

  it('throttles repeated failures per account (429 with Retry-After), then lets them try again', async () => {
    const who = await world.signup();
    for (let i = 0; i < 3; i++) {
      nextStep();
      await expectLogin(401, who, {}, '000000');
    }
    nextStep();
    const blocked = await expectLogin(429, who);
    expect(blocked.body.error).toBe('rate_limited');
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    await sleep(8100); // the window: long enough that a loaded machine still blocks within it
    nextStep();
    await expectLogin(200, who);
  });

  describe('sessions', () => {
    it('log out: 204, then the token is dead', async () => {
      const who = await world.signup();
      await world.http().post('/auth/logout').set(bearer(who.sessionToken)).expect(204);
      const res = await world.http().get('/me').set(bearer(who.sessionToken)).expect(401);
      expect(res.body).toEqual({ statusCode: 401, error: 'unauthenticated', message: expect.any(String) });
    });

    it('expire after the configured time', async () => {
      const who = await world.signup();
      world.clock.advanceDays(14);
      await world.http().get('/me').set(bearer(who.sessionToken)).expect(401);
    });

    it('all end when the account is deleted (in the deleting transaction)', async () => {
      const who = await world.signup();
      nextStep();
      const second = await expectLogin(200, who);
      await world.app.get(Transactions).run(async (tx) => {
        await world.app.get(LifecycleService).delete(who.person.id, tx);
        expect(await world.app.get(SessionsService).endAll(tx, who.person.id)).toBe(2);
      });
      await world.http().get('/me').set(bearer(who.sessionToken)).expect(401);
      await world.http().get('/me').set(bearer(second.body.sessionToken)).expect(401);
    });

    it('are swept with expired signups and login challenges, long after they ended', async () => {
      const housekeeping = world.app.get(AuthHousekeeping);
      await housekeeping.sweep(); // what earlier tests left behind
      const who = await world.signup();
      await world.http().post('/auth/login/begin').send({ email: who.email }).expect(200);
      await world.http().post('/auth/signup/begin').send({ email: uniqueEmail(), displayName: 'Abandoned' }).expect(201);
      const live = await world.db.query<{ n: number }>("SELECT count(*)::int AS n FROM sessions WHERE ended_at IS NULL AND expires_at > $1", [world.clock.now()]);
      expect(await housekeeping.sweep()).toEqual({ registrations: 0, loginChallenges: 0, sessions: 0 });
      world.clock.advanceDays(2);
      const swept = await housekeeping.sweep();
      expect(swept.registrations).toBeGreaterThan(0);
      expect(swept.loginChallenges).toBeGreaterThan(0);
      expect(swept.sessions).toBe(0);
      await world.http().get('/me').set(bearer(who.sessionToken)).expect(200);
      world.clock.advanceDays(14 + 31);
      expect((await housekeeping.sweep()).sessions).toBeGreaterThanOrEqual(live[0].n);
      expect(await world.db.query('SELECT 1 FROM sessions WHERE person_id = $1', [who.person.id])).toHaveLength(0);
    });

    it('refuse missing or made-up tokens with 401', async () => {
      await world.http().get('/me').expect(401);
      await world.http().get('/me').set(bearer('made-up')).expect(401);
      await world.http().get('/me').set('cookie', 'loomworks_session=made-up').expect(401);
    });
  });

  describe('roles', () => {
    it('admin routes: 401 without a session, 403 for members, 200 for admins', async () => {
      await world.http().get('/__admin-probe').expect(401);
      const member = await world.signup();
      const forbidden = await world.http().get('/__admin-probe').set(bearer(member.sessionToken)).expect(403);
      expect(forbidden.body.error).toBe('forbidden');
      const { adminToken } = await world.app.get(AdminTokensService).create();
      const admin = await world.signup({ adminToken });
      await world.http().get('/__admin-probe').set(bearer(admin.sessionToken)).expect(200, { id: admin.person.id, role: 'admin' });
    });
  });
});

describe('login throttling per client address', () => {
  let world: AuthWorld;
  beforeAll(async () => {
    world = await AuthWorld.create({ env: { LOGIN_MAX_FAILURES: '100', LOGIN_MAX_FAILURES_PER_ADDRESS: '2', LOGIN_FAILURE_WINDOW_SECONDS: '60' } });
  });
  afterAll(() => world.close());

  const expectLogin = async (status: number, ...args: Parameters<AuthWorld['login']>) => {
    const res = await world.login(...args);
    expect(res.status).toBe(status);
    return res;
  };

  it('blocks an address that failed across accounts, even for a correct login', async () => {
    const a = await world.signup();
    const b = await world.signup();
    const c = await world.signup();
    world.clock.advanceDays(30 / 86400);
    await expectLogin(401, a, {}, '000000');
    await expectLogin(401, b, {}, '000000');
    const blocked = await expectLogin(429, c);
    expect(blocked.body.error).toBe('rate_limited');

    // A second API instance on the same database sees the same counters.
    const other = await createTestApp(world.db.url, { env: { LOGIN_MAX_FAILURES_PER_ADDRESS: '2', LOGIN_FAILURE_WINDOW_SECONDS: '60' } });
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
  let world: AuthWorld;
  beforeAll(async () => {
    world = await AuthWorld.create({ env: { PUBLIC_ORIGIN: 'https://credits.example.com', WEBAUTHN_RP_ID: 'localhost', WEBAUTHN_ORIGIN: 'http://localhost:3000' } });
  });
  afterAll(() => world.close());

  it('is Secure', async () => {
    const email = uniqueEmail();
    const begin = await world.http().post('/auth/signup/begin').send({ email, displayName: 'S' }).expect(201);
    const authenticator = new SoftAuthenticator();
    const passkey = await world.http().post('/auth/signup/passkey')
      .send({ registrationId: begin.body.registrationId, credential: authenticator.register(begin.body.options) }).expect(200);
    const done = await world.http().post('/auth/signup/totp-verify')
      .send({ registrationId: begin.body.registrationId, code: await world.code(passkey.body.totp.secret) }).expect(201);
    expect(done.headers['set-cookie'][0]).toMatch(/; Secure/);
  });
});

describe('public starts per client address', () => {
  let world: AuthWorld;
  beforeAll(async () => {
    world = await AuthWorld.create({ env: { AUTH_STARTS_PER_MINUTE: '3' } });
  });
  afterAll(() => world.close());

  it('are limited per minute across signup, login and claim (429 with Retry-After)', async () => {
    await world.http().post('/auth/signup/begin').send({ email: uniqueEmail(), displayName: 'A' }).expect(201);
    await world.http().post('/auth/login/begin').send({ email: uniqueEmail() }).expect(200);
    await world.http().post('/claim/grant').send({ claimToken: 'unknown' }).expect(404);
    for (const call of [
      () => world.http().post('/auth/signup/begin').send({ email: uniqueEmail(), displayName: 'A' }),
      () => world.http().post('/auth/login/begin').send({ email: uniqueEmail() }),
      () => world.http().post('/claim/grant').send({ claimToken: 'unknown' }),
    ]) {
      const res = await call().expect(429);
      expect(res.body.error).toBe('rate_limited');
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    }
    expect(await world.db.query('SELECT 1 FROM signup_registrations')).toHaveLength(1);
  });
});
