import { emailHashes } from '@loomworks/credit';
import { GrantsService, LedgerService } from '@loomworks/credit/staff';
import { AdminTokensService } from '@loomworks/auth';
import { SoftAuthenticator } from '../support/soft-authenticator';
import { TestContext, uniqueEmail } from '../support/test-context';

describe('signup (passkey + TOTP) over HTTP', () => {
  let ctx: TestContext;

  beforeAll(async () => {
    ctx = await TestContext.create();
  });
  afterEach(() => ctx.expectLedgerConsistent());
  afterAll(() => ctx.close());

  const begin = (email = uniqueEmail()) => ctx.http().post('/auth/signup/begin').send({ email, displayName: 'Tester' }).expect(201);

  it('creates the person, credential, encrypted TOTP secret, personal engagement and a working session', async () => {
    const email = uniqueEmail('Full');
    const started = await begin(email);
    // no SMTP_URL here: no code is mailed, and none is asked for
    expect(started.body.emailVerification).toBe('not_required');
    expect(started.body.options).toMatchObject({
      rp: { id: 'localhost' },
      attestation: 'none',
      authenticatorSelection: { userVerification: 'required' },
    });
    const authenticator = new SoftAuthenticator();
    const passkey = await ctx.http().post('/auth/signup/passkey')
      .send({ registrationId: started.body.registrationId, credential: authenticator.register(started.body.options) })
      .expect(200);
    expect(passkey.body.totp.otpauthUrl).toMatch(/^otpauth:\/\/totp\/Loomworks:/);
    const done = await ctx.http().post('/auth/signup/totp-verify')
      .send({ registrationId: started.body.registrationId, code: await ctx.code(passkey.body.totp.secret) })
      .expect(201);

    expect(done.body.person).toMatchObject({ email: email.toLowerCase(), role: 'member', accountStatus: 'active', referredBy: null });
    expect(done.body.credit).toBeUndefined();
    const cookie = done.headers['set-cookie'][0] as string;
    expect(cookie).toMatch(/^loomworks_session=[\w-]+;/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).not.toMatch(/Secure/);

    await ctx.http().get('/me').set('authorization', `Bearer ${done.body.sessionToken}`).expect(200, done.body.person);
    await ctx.http().get('/me').set('cookie', cookie.split(';')[0]).expect(200);
    const engagements = await ctx.http().get('/me/engagements').set('authorization', `Bearer ${done.body.sessionToken}`).expect(200);
    expect(engagements.body.items).toEqual([{ id: done.body.person.personalEngagementId, name: "Tester's engagement", personal: true, role: 'owner' }]);

    const [totp] = await ctx.db.query<{ secret_encrypted: string }>('SELECT secret_encrypted FROM totp_secrets WHERE person_id = $1', [done.body.person.id]);
    expect(totp.secret_encrypted).toMatch(/^gAAAAA/);
    expect(totp.secret_encrypted).not.toContain(passkey.body.totp.secret);
    expect(await ctx.db.query('SELECT id FROM passkey_credentials WHERE person_id = $1', [done.body.person.id])).toEqual([{ id: authenticator.id }]);
    const [session] = await ctx.db.query<{ token_hash: Buffer }>('SELECT token_hash FROM sessions WHERE person_id = $1', [done.body.person.id]);
    expect(session.token_hash.toString('base64url')).not.toBe(done.body.sessionToken);
  });

  describe('begin', () => {
    it('refuses an address that has a live account: 409 email_taken', async () => {
      const existing = await ctx.signedInPerson();
      const res = await ctx.http().post('/auth/signup/begin').send({ email: existing.email.toUpperCase(), displayName: 'X' }).expect(409);
      expect(res.body).toEqual({ statusCode: 409, error: 'email_taken', message: expect.any(String) });
    });

    it.each([
      [{ email: 'nope', displayName: 'X' }, 'email'],
      [{ email: 'a@example.com', displayName: '' }, 'displayName'],
      [{ email: 'a@example.com', displayName: 'X', role: 'admin' }, 'role'],
    ])('validates %j', async (body, field) => {
      const res = await ctx.http().post('/auth/signup/begin').send(body).expect(400);
      expect(res.body.error).toBe('validation_failed');
      expect(res.body.fields.map((f: { field: string }) => f.field)).toContain(field);
    });
  });

  describe('passkey', () => {
    const attempt = async (tamper: Parameters<SoftAuthenticator['register']>[1]) => {
      const started = await begin();
      return ctx.http().post('/auth/signup/passkey')
        .send({ registrationId: started.body.registrationId, credential: new SoftAuthenticator().register(started.body.options, tamper) });
    };

    it.each([
      ['a wrong origin', { origin: 'https://evil.example' }],
      ['a wrong RP ID', { rpId: 'evil.example' }],
      ['no user verification', { userVerified: false }],
    ])('refuses %s: 400 passkey_verification_failed', async (_, tamper) => {
      const res = await attempt(tamper).then((r) => r);
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('passkey_verification_failed');
    });

    it('uses each challenge once: a second passkey answer gets 404', async () => {
      const started = await begin();
      const credential = new SoftAuthenticator().register(started.body.options);
      await ctx.http().post('/auth/signup/passkey').send({ registrationId: started.body.registrationId, credential }).expect(200);
      const again = await ctx.http().post('/auth/signup/passkey').send({ registrationId: started.body.registrationId, credential }).expect(404);
      expect(again.body.error).toBe('registration_not_found');
    });

    it('refuses an expired registration and an unknown one with 404', async () => {
      const started = await begin();
      ctx.clock.advanceDays(11 / 1440);
      const credential = new SoftAuthenticator().register(started.body.options);
      const expired = await ctx.http().post('/auth/signup/passkey').send({ registrationId: started.body.registrationId, credential }).expect(404);
      expect(expired.body.error).toBe('registration_not_found');
      await ctx.http().post('/auth/signup/passkey').send({ registrationId: '00000000-0000-4000-8000-000000000000', credential }).expect(404);
    });

    it('passes the browser\'s extra credential fields through to the verifier', async () => {
      const started = await begin();
      const credential = { ...new SoftAuthenticator().register(started.body.options), extraFromBrowser: { anything: true } };
      await ctx.http().post('/auth/signup/passkey').send({ registrationId: started.body.registrationId, credential }).expect(200);
    });
  });

  describe('totp-verify', () => {
    it('refuses a wrong code (400 invalid_totp) and accepts the right one after', async () => {
      const started = await begin();
      const passkey = await ctx.http().post('/auth/signup/passkey')
        .send({ registrationId: started.body.registrationId, credential: new SoftAuthenticator().register(started.body.options) }).expect(200);
      const right = await ctx.code(passkey.body.totp.secret);
      const wrong = right === '000000' ? '000001' : '000000';
      const res = await ctx.http().post('/auth/signup/totp-verify').send({ registrationId: started.body.registrationId, code: wrong }).expect(400);
      expect(res.body.error).toBe('invalid_totp');
      await ctx.http().post('/auth/signup/totp-verify').send({ registrationId: started.body.registrationId, code: right }).expect(201);
      const reuse = await ctx.http().post('/auth/signup/totp-verify').send({ registrationId: started.body.registrationId, code: right }).expect(404);
      expect(reuse.body.error).toBe('registration_not_found');
    });

    it('throttles wrong codes per registration (429), without blocking other signups', async () => {
      const started = await begin();
      const passkey = await ctx.http().post('/auth/signup/passkey')
        .send({ registrationId: started.body.registrationId, credential: new SoftAuthenticator().register(started.body.options) }).expect(200);
      const right = await ctx.code(passkey.body.totp.secret);
      const wrong = right === '000000' ? '000001' : '000000';
      for (let i = 0; i < 5; i++) {
        await ctx.http().post('/auth/signup/totp-verify').send({ registrationId: started.body.registrationId, code: wrong }).expect(400);
      }
      const blocked = await ctx.http().post('/auth/signup/totp-verify').send({ registrationId: started.body.registrationId, code: right }).expect(429);
      expect(blocked.body.error).toBe('rate_limited');
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
      await ctx.signedInPerson();
    });

    it('accepts a code from the previous 30 s step, not from two steps back', async () => {
      const started = await begin();
      const passkey = await ctx.http().post('/auth/signup/passkey')
        .send({ registrationId: started.body.registrationId, credential: new SoftAuthenticator().register(started.body.options) }).expect(200);
      const code = await ctx.code(passkey.body.totp.secret);
      ctx.clock.advanceDays(61 / 86400);
      await ctx.http().post('/auth/signup/totp-verify').send({ registrationId: started.body.registrationId, code }).expect(400);
      ctx.clock.advanceDays(-31 / 86400);
      await ctx.http().post('/auth/signup/totp-verify').send({ registrationId: started.body.registrationId, code }).expect(201);
    });
  });

  describe('with a claim token', () => {
    const issue = (email: string, overrides: { expiresInDays?: number } = {}) =>
      ctx.newGrant({ recipientEmail: email, asset: 'sonnet', amount: 1200n, ...overrides });

    it('claims the grant in the signup transaction', async () => {
      const email = uniqueEmail();
      const { grant, claimToken } = await issue(email);
      const who = await ctx.signedInPerson({ email, claimToken });
      expect(who.credit).toEqual({ grantId: grant.id, asset: 'sonnet', amount: 1200 });
      const credit = await ctx.http().get('/me/credit').set('authorization', `Bearer ${who.sessionToken}`).expect(200);
      expect(credit.body).toEqual({
        balances: [{ asset: 'sonnet', amount: 1200, held: 0 }],
        tier: { asset: 'sonnet', classifierModel: 'claude-haiku-4-5-20251001', responderModel: 'claude-sonnet-4-6' },
        holds: [],
      });
      const flows = await ctx.http().get('/me/flows').set('authorization', `Bearer ${who.sessionToken}`).expect(200);
      expect(flows.body.items).toEqual([expect.objectContaining({ kind: 'issuance', amount: 1200, direction: 'in', counterparty: 'system:issuer', idempotencyKey: `grant:${grant.id}` })]);
    });

    it.each([
      ['an unknown token', 404, 'grant_not_found'],
      ['a claimed grant', 409, 'grant_already_claimed'],
      ['an expired grant', 410, 'grant_expired'],
      ['a revoked grant', 410, 'grant_revoked'],
      ['a grant for another address', 403, 'grant_email_mismatch'],
    ])('with %s answers %i %s and creates nothing', async (situation, status, code) => {
      const email = uniqueEmail();
      const grantEmail = situation === 'a grant for another address' ? uniqueEmail() : email;
      const { grant, claimToken } = await issue(grantEmail, { expiresInDays: 1 });
      let token = claimToken;
      if (situation === 'an unknown token') token = 'x'.repeat(43);
      if (situation === 'a claimed grant') {
        const other = uniqueEmail();
        const o = await issue(other);
        await ctx.signedInPerson({ email: other, claimToken: o.claimToken });
        token = o.claimToken;
      }
      if (situation === 'a revoked grant') await ctx.get(GrantsService).revoke(grant.id);

      // The grant expires mid-signup: a minute before its expiry the signup starts, two minutes later it ends.
      if (situation === 'an expired grant') ctx.clock.advanceDays(1 - 1 / 1440);
      const started = await begin(email);
      const authenticator = new SoftAuthenticator();
      const passkey = await ctx.http().post('/auth/signup/passkey')
        .send({ registrationId: started.body.registrationId, credential: authenticator.register(started.body.options) }).expect(200);
      if (situation === 'an expired grant') ctx.clock.advanceDays(2 / 1440);
      const res = await ctx.http().post('/auth/signup/totp-verify')
        .send({ registrationId: started.body.registrationId, code: await ctx.code(passkey.body.totp.secret), claimToken: token })
        .expect(status);
      expect(res.body).toEqual({ statusCode: status, error: code, message: expect.any(String) });
      expect(await ctx.db.query('SELECT 1 FROM persons WHERE email = $1', [email.toLowerCase()])).toHaveLength(0);
      expect(await ctx.db.query('SELECT 1 FROM passkey_credentials WHERE id = $1', [authenticator.id])).toHaveLength(0);
    });

    it('lets exactly one of parallel completions with one claim token succeed', async () => {
      for (let round = 0; round < 5; round++) {
        const email = uniqueEmail('race');
        const { grant, claimToken } = await issue(email);
        const started = await begin(email);
        const passkey = await ctx.http().post('/auth/signup/passkey')
          .send({ registrationId: started.body.registrationId, credential: new SoftAuthenticator().register(started.body.options) }).expect(200);
        const code = await ctx.code(passkey.body.totp.secret);
        const results = await Promise.all(
          [1, 2, 3].map(() => ctx.http().post('/auth/signup/totp-verify').send({ registrationId: started.body.registrationId, code, claimToken })),
        );
        expect(results.map((r) => r.status).sort()).toEqual([201, 404, 404]);
        expect(await ctx.db.query('SELECT 1 FROM credit.flows WHERE grant_id = $1', [grant.id])).toHaveLength(1);
      }
    });

    it('lets exactly one of two parallel signups of one address with one claim token succeed', async () => {
      const email = uniqueEmail('race2');
      const { grant, claimToken } = await issue(email);
      const prepared = await Promise.all(
        [1, 2].map(async () => {
          const started = await begin(email);
          const passkey = await ctx.http().post('/auth/signup/passkey')
            .send({ registrationId: started.body.registrationId, credential: new SoftAuthenticator().register(started.body.options) }).expect(200);
          return { registrationId: started.body.registrationId, code: await ctx.code(passkey.body.totp.secret) };
        }),
      );
      const results = await Promise.all(prepared.map((p) => ctx.http().post('/auth/signup/totp-verify').send({ ...p, claimToken })));
      expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
      expect(await ctx.get(LedgerService).balance(results.find((r) => r.status === 201)!.body.person.id, 'sonnet')).toBe(1200n);
      expect(await ctx.db.query('SELECT 1 FROM credit.flows WHERE grant_id = $1', [grant.id])).toHaveLength(1);
    });
  });

  describe('POST /claim/grant', () => {
    it('starts a signup bound to the recipient, with a masked hint', async () => {
      const email = uniqueEmail('jane', 'gmail.com');
      const { grant, claimToken } = await ctx.newGrant({ recipientEmail: email, asset: 'opus', kind: 'promo', amount: 50n });
      const res = await ctx.http().post('/claim/grant').send({ claimToken }).expect(200);
      expect(res.body).toMatchObject({ claimToken, emailHint: 'j***@g***.com', asset: 'opus', amount: 50, expiresAt: grant.expiresAt.toISOString() });
      expect(res.body.options.user.name).toBe(email);
      const who = await ctx.finishSignup(email, res.body.registrationId, res.body.options, claimToken);
      expect(who.credit).toEqual({ grantId: grant.id, asset: 'opus', amount: 50 });
    });

    it.each([
      ['grant_not_found', 404],
      ['grant_already_claimed', 409],
      ['grant_revoked', 410],
      ['grant_expired', 410],
      ['email_taken', 409],
    ])('answers %s with %i', async (code, status) => {
      const grants = ctx.get(GrantsService);
      const email = uniqueEmail();
      const { grant, claimToken } = await grants.issue({ recipientEmail: email, asset: 'haiku', kind: 'promo', amount: 5n, expiresInDays: 1 });
      let token = claimToken;
      if (code === 'grant_not_found') token = 'unknown-token';
      if (code === 'grant_already_claimed') await ctx.signedInPerson({ email, claimToken });
      if (code === 'grant_revoked') await grants.revoke(grant.id);
      if (code === 'grant_expired') ctx.clock.advanceDays(1);
      if (code === 'email_taken') await ctx.signedInPerson({ email });
      const res = await ctx.http().post('/claim/grant').send({ claimToken: token }).expect(status);
      expect(res.body.error).toBe(code);
    });
  });

  describe('links that die stay dead', () => {
    /** A leaked claim link: someone follows it and gets as far as the TOTP step. */
    async function registrationFromLink(claimToken: string) {
      const started = await ctx.http().post('/claim/grant').send({ claimToken }).expect(200);
      const passkey = await ctx.http().post('/auth/signup/passkey')
        .send({ registrationId: started.body.registrationId, credential: new SoftAuthenticator().register(started.body.options) }).expect(200);
      return async (extra: object) => {
        ctx.clock.nextTotpStep();
        return ctx.http().post('/auth/signup/totp-verify').send({ registrationId: started.body.registrationId, code: await ctx.code(passkey.body.totp.secret), ...extra });
      };
    }

    async function signUpFromLink(email: string, claimToken: string) {
      const started = await ctx.http().post('/claim/grant').send({ claimToken }).expect(200);
      return ctx.finishSignup(email, started.body.registrationId, started.body.options, claimToken);
    }

    it.each(['revoked', 're-issued'])('a registration started from a link that was then %s never completes; the recipient signs up later', async (fate) => {
      const email = uniqueEmail('leaked');
      const grants = ctx.get(GrantsService);
      const { grant, claimToken } = await ctx.newGrant({ recipientEmail: email, asset: 'sonnet', amount: 300n });
      const verify = await registrationFromLink(claimToken);
      const fresh = fate === 'revoked' ? (await grants.revoke(grant.id), undefined) : (await grants.reissue(grant.id)).claimToken;

      const withoutLink = await verify({});
      expect(withoutLink.status).toBe(404);
      expect(withoutLink.body.error).toBe('grant_not_found');
      const withOldLink = await verify({ claimToken });
      expect(withOldLink.body.error).toBe(fate === 'revoked' ? 'grant_revoked' : 'grant_not_found');
      // another live link is not the one that proved this registration
      const withNewLink = fresh === undefined ? withoutLink : await verify({ claimToken: fresh });
      expect(withNewLink.body.error).toBe('grant_not_found');
      expect(await ctx.db.query('SELECT id FROM persons WHERE email = $1', [email])).toEqual([]);

      // the recipient is not told email_taken: the new link (or, once revoked, a plain signup) still works
      const recipient = fresh === undefined ? await ctx.signedInPerson({ email }) : await signUpFromLink(email, fresh);
      expect(recipient.person.email).toBe(email);
    });

    it('a registration proven by a live link completes only with that link', async () => {
      const email = uniqueEmail('proven-link');
      const { grant, claimToken } = await ctx.newGrant({ recipientEmail: email, asset: 'haiku', amount: 40n });
      const verify = await registrationFromLink(claimToken);
      expect((await verify({})).body.error).toBe('grant_not_found');
      const done = await verify({ claimToken });
      expect(done.status).toBe(201);
      expect(done.body.credit).toEqual({ grantId: grant.id, asset: 'haiku', amount: 40 });
    });
  });

  describe('first admin', () => {
    it('makes the person signing up with a one-time admin token an admin; the token then dies', async () => {
      const { adminToken } = await ctx.get(AdminTokensService).create();
      const admin = await ctx.signedInPerson({ adminToken });
      expect(admin.person.role).toBe('admin');
      const reuse = await ctx.http().post('/auth/signup/begin').send({ email: uniqueEmail(), displayName: 'X', adminToken }).expect(403);
      expect(reuse.body.error).toBe('invalid_admin_token');
      const [row] = await ctx.db.query('SELECT used_by_person_id FROM admin_signup_tokens WHERE used_at IS NOT NULL');
      expect(row).toEqual({ used_by_person_id: admin.person.id });
    });

    it('refuses unknown and expired admin tokens', async () => {
      await ctx.http().post('/auth/signup/begin').send({ email: uniqueEmail(), displayName: 'X', adminToken: 'made-up' }).expect(403);
      const { adminToken } = await ctx.get(AdminTokensService).create();
      ctx.clock.advanceDays(1.01);
      await ctx.http().post('/auth/signup/begin').send({ email: uniqueEmail(), displayName: 'X', adminToken }).expect(403);
    });
  });

  it('stores nothing that grants access in clear', async () => {
    const email = uniqueEmail();
    const { claimToken } = await ctx.newGrant({ recipientEmail: email, asset: 'haiku', amount: 5n });
    const who = await ctx.signedInPerson({ email, claimToken });
    const dump = JSON.stringify(await ctx.db.query(
      `SELECT (SELECT json_agg(s) FROM sessions s) AS s, (SELECT json_agg(t) FROM totp_secrets t) AS t,
              (SELECT json_agg(g) FROM credit.grants g) AS g, (SELECT json_agg(r) FROM signup_registrations r) AS r`,
    ));
    for (const secret of [who.sessionToken, who.totpSecret, claimToken]) expect(dump).not.toContain(secret);
    expect(emailHashes(email).exactHash).toHaveLength(64);
  });
});
