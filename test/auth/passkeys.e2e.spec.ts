import { TestContext, type SignedIn } from '../support/test-context';
import { SoftAuthenticator } from '../support/soft-authenticator';

describe('several passkeys: /me/passkeys', () => {
  let ctx: TestContext;

  beforeAll(async () => {
    ctx = await TestContext.create({ env: { LOGIN_MAX_FAILURES: '1000' } });
  });
  afterAll(() => ctx.close());

  const freshCode = async (who: SignedIn) => {
    ctx.clock.nextTotpStep();
    return ctx.code(who.totpSecret);
  };

  async function addPasskey(who: SignedIn, name?: string) {
    const authenticator = new SoftAuthenticator();
    const begin = await ctx.http().post('/me/passkeys/begin').set(ctx.as(who)).send({ code: await freshCode(who) }).expect(200);
    const finish = await ctx
      .http()
      .post('/me/passkeys/finish')
      .set(ctx.as(who))
      .send({ registrationId: begin.body.registrationId, credential: authenticator.register(begin.body.options), ...(name && { name }) });
    return { authenticator, begin, finish };
  }

  it('lists the signup passkey and records when it was last used to sign in', async () => {
    const who = await ctx.signedInPerson();
    const before = await ctx.http().get('/me/passkeys').set(ctx.as(who)).expect(200);
    expect(before.body).toEqual({ items: [{ id: who.authenticator.id, name: 'Passkey', createdAt: ctx.clock.now().toISOString(), lastUsedAt: null }] });

    ctx.clock.nextTotpStep();
    expect((await ctx.login(who)).status).toBe(200);
    const after = await ctx.http().get('/me/passkeys').set(ctx.as(who)).expect(200);
    expect(after.body.items[0].lastUsedAt).toBe(ctx.clock.now().toISOString());
  });

  it('adds a passkey after a fresh TOTP code; it signs in; the code can’t be used twice', async () => {
    const who = await ctx.signedInPerson();
    const { authenticator, begin, finish } = await addPasskey(who, 'Laptop');
    // the authenticator is told which passkeys the account already has
    expect(begin.body.options.excludeCredentials).toEqual([expect.objectContaining({ id: who.authenticator.id })]);
    expect(finish.status).toBe(201);
    expect(finish.body).toEqual({ id: authenticator.id, name: 'Laptop', createdAt: expect.any(String), lastUsedAt: null });
    const list = await ctx.http().get('/me/passkeys').set(ctx.as(who)).expect(200);
    expect(list.body.items.map((p: { name: string }) => p.name)).toEqual(['Passkey', 'Laptop']);

    ctx.clock.nextTotpStep();
    expect((await ctx.login({ ...who, authenticator })).status).toBe(200);
    expect((await ctx.http().get('/me/passkeys').set(ctx.as(who))).body.items[1].lastUsedAt).toBe(ctx.clock.now().toISOString());

    // a step-up code is spent: the same code again is refused
    const code = await freshCode(who);
    await ctx.http().post('/me/passkeys/begin').set(ctx.as(who)).send({ code }).expect(200);
    const again = await ctx.http().post('/me/passkeys/begin').set(ctx.as(who)).send({ code }).expect(400);
    expect(again.body.error).toBe('invalid_totp');
    // without a valid code nothing starts
    expect((await ctx.http().post('/me/passkeys/begin').set(ctx.as(who)).send({ code: '000000' }).expect(400)).body.error).toBe('invalid_totp');
    await ctx.http().post('/me/passkeys/begin').set(ctx.as(who)).send({}).expect(400);
  });

  it('answers the documented errors of finish', async () => {
    const who = await ctx.signedInPerson();
    const begin = await ctx.http().post('/me/passkeys/begin').set(ctx.as(who)).send({ code: await freshCode(who) }).expect(200);
    // the account's own passkey again
    const exists = await ctx
      .http()
      .post('/me/passkeys/finish')
      .set(ctx.as(who))
      .send({ registrationId: begin.body.registrationId, credential: who.authenticator.register(begin.body.options) })
      .expect(409);
    expect(exists.body.error).toBe('passkey_exists');
    // the registration was used up by that attempt
    const used = await ctx
      .http()
      .post('/me/passkeys/finish')
      .set(ctx.as(who))
      .send({ registrationId: begin.body.registrationId, credential: new SoftAuthenticator().register(begin.body.options) })
      .expect(404);
    expect(used.body.error).toBe('registration_not_found');

    const other = await ctx.http().post('/me/passkeys/begin').set(ctx.as(who)).send({ code: await freshCode(who) }).expect(200);
    const tampered = await ctx
      .http()
      .post('/me/passkeys/finish')
      .set(ctx.as(who))
      .send({ registrationId: other.body.registrationId, credential: new SoftAuthenticator().register(other.body.options, { origin: 'https://evil.example' }) })
      .expect(400);
    expect(tampered.body.error).toBe('passkey_verification_failed');

    // someone else's registration, and the signup steps, never find an add-passkey registration
    const stranger = await ctx.signedInPerson();
    const third = await ctx.http().post('/me/passkeys/begin').set(ctx.as(who)).send({ code: await freshCode(who) }).expect(200);
    await ctx
      .http()
      .post('/me/passkeys/finish')
      .set(ctx.as(stranger))
      .send({ registrationId: third.body.registrationId, credential: new SoftAuthenticator().register(third.body.options) })
      .expect(404);
    const viaSignup = await ctx
      .http()
      .post('/auth/signup/passkey')
      .send({ registrationId: third.body.registrationId, credential: new SoftAuthenticator().register(third.body.options) })
      .expect(404);
    expect(viaSignup.body.error).toBe('registration_not_found');
    expect((await ctx.http().get('/me/passkeys').set(ctx.as(who))).body.items).toHaveLength(1);
  });

  it('renames a passkey of one’s own only', async () => {
    const who = await ctx.signedInPerson();
    const renamed = await ctx.http().patch(`/me/passkeys/${who.authenticator.id}`).set(ctx.as(who)).send({ name: '  Phone ' }).expect(200);
    expect(renamed.body).toMatchObject({ id: who.authenticator.id, name: 'Phone' });
    const stranger = await ctx.signedInPerson();
    expect((await ctx.http().patch(`/me/passkeys/${who.authenticator.id}`).set(ctx.as(stranger)).send({ name: 'Mine' }).expect(404)).body.error).toBe('passkey_not_found');
    await ctx.http().patch(`/me/passkeys/${who.authenticator.id}`).set(ctx.as(who)).send({ name: '   ' }).expect(400);
    await ctx.http().patch('/me/passkeys/not*a*passkey').set(ctx.as(who)).send({ name: 'A' }).expect(400);
    await ctx.http().patch(`/me/passkeys/${who.authenticator.id}`).send({ name: 'A' }).expect(401);
  });

  it('removes a passkey but never the last one; a removed passkey no longer signs in', async () => {
    const who = await ctx.signedInPerson();
    expect((await ctx.http().delete(`/me/passkeys/${who.authenticator.id}`).set(ctx.as(who)).expect(409)).body.error).toBe('last_passkey');
    const { authenticator } = await addPasskey(who);
    await ctx.http().delete(`/me/passkeys/${who.authenticator.id}`).set(ctx.as(who)).expect(204);
    expect((await ctx.http().get('/me/passkeys').set(ctx.as(who))).body.items.map((p: { id: string }) => p.id)).toEqual([authenticator.id]);
    ctx.clock.nextTotpStep();
    expect((await ctx.login(who)).status).toBe(401);
    ctx.clock.nextTotpStep();
    expect((await ctx.login({ ...who, authenticator })).status).toBe(200);
    expect((await ctx.http().delete(`/me/passkeys/${who.authenticator.id}`).set(ctx.as(who)).expect(404)).body.error).toBe('passkey_not_found');
  });

  it('two removals at once leave one passkey', async () => {
    const who = await ctx.signedInPerson();
    const { authenticator } = await addPasskey(who);
    const results = await Promise.all(
      [who.authenticator.id, authenticator.id].map((id) => ctx.http().delete(`/me/passkeys/${id}`).set(ctx.as(who))),
    );
    expect(results.map((r) => r.status).sort()).toEqual([204, 409]);
    expect((await ctx.http().get('/me/passkeys').set(ctx.as(who))).body.items).toHaveLength(1);
  });

  describe('credential ids, names and transports are bounded before SQL', () => {
    async function beginSignup() {
      return (await ctx.http().post('/auth/signup/begin').send({ email: `bounded.${Math.random()}@example.com`, displayName: 'Bounded' }).expect(201)).body;
    }

    it('a passkey with the longest id WebAuthn allows (1023 bytes, 1364 characters) signs up, is renamed and removed', async () => {
      const who = await ctx.signedInPerson();
      const long = new SoftAuthenticator(undefined, undefined, { idBytes: 1023 });
      expect(long.id).toHaveLength(1364);
      const begin = await ctx.http().post('/me/passkeys/begin').set(ctx.as(who)).send({ code: await freshCode(who) }).expect(200);
      await ctx.http().post('/me/passkeys/finish').set(ctx.as(who)).send({ registrationId: begin.body.registrationId, credential: long.register(begin.body.options) }).expect(201);

      const renamed = await ctx.http().patch(`/me/passkeys/${long.id}`).set(ctx.as(who)).send({ name: 'Security key' }).expect(200);
      expect(renamed.body).toMatchObject({ id: long.id, name: 'Security key' });
      await ctx.http().delete(`/me/passkeys/${long.id}`).set(ctx.as(who)).expect(204);
      expect((await ctx.http().get('/me/passkeys').set(ctx.as(who)).expect(200)).body.items.map((p: { id: string }) => p.id)).toEqual([who.authenticator.id]);
      // one character more is not a passkey id
      const tooLong = await ctx.http().delete(`/me/passkeys/${long.id}A`).set(ctx.as(who));
      expect(tooLong.status).toBe(400);
    });

    it('refuses an over-long credential id at registration with 400; nothing is stored and the challenge is not spent', async () => {
      const started = await beginSignup();
      const huge = new SoftAuthenticator(undefined, undefined, { idBytes: 1575 }); // 2,100 characters
      const refused = await ctx.http().post('/auth/signup/passkey').send({ registrationId: started.registrationId, credential: huge.register(started.options) }).expect(400);
      expect(refused.body).toMatchObject({ statusCode: 400, error: 'validation_failed', fields: [expect.objectContaining({ field: 'credential.id' })] });
      const [row] = await ctx.db.query<{ credential_id: string | null }>('SELECT credential_id FROM signup_registrations WHERE id = $1', [started.registrationId]);
      expect(row.credential_id).toBeNull();
      await ctx.http().post('/auth/signup/passkey').send({ registrationId: started.registrationId, credential: new SoftAuthenticator().register(started.options) }).expect(200);
    });

    it('bounds the id inside the signed authenticator data too, not only the one the answer names', async () => {
      const started = await beginSignup();
      const credential = new SoftAuthenticator(undefined, undefined, { idBytes: 1100 }).register(started.options);
      const short = Buffer.alloc(16, 1).toString('base64url');
      const refused = await ctx.http().post('/auth/signup/passkey').send({ registrationId: started.registrationId, credential: { ...credential, id: short, rawId: short } });
      expect(refused.status).toBe(400);
      expect(await ctx.db.query('SELECT 1 FROM signup_registrations WHERE id = $1 AND credential_id IS NOT NULL', [started.registrationId])).toEqual([]);
    });

    it('refuses 20,000 transports, and over-long transport names, with 400', async () => {
      for (const transports of [Array.from({ length: 20_000 }, () => 'usb'), ['x'.repeat(33)]]) {
        const started = await beginSignup();
        const credential = new SoftAuthenticator(undefined, undefined, { transports }).register(started.options);
        const refused = await ctx.http().post('/auth/signup/passkey').send({ registrationId: started.registrationId, credential }).expect(400);
        expect(refused.body.fields).toEqual([expect.objectContaining({ field: 'credential.response.transports' })]);
      }
    });

    it('answers a login with an over-long credential id as a failed login, without querying it', async () => {
      const who = await ctx.signedInPerson();
      const begin = await ctx.http().post('/auth/login/begin').send({ email: who.email }).expect(200);
      const credential = { ...who.authenticator.authenticate(begin.body.options), id: 'A'.repeat(100_000) };
      const res = await ctx.http().post('/auth/login/finish').send({ loginId: begin.body.loginId, credential, code: await ctx.code(who.totpSecret) });
      expect(res.status).toBe(401);
      expect(res.body.error).toBe('login_failed');
    });
  });
});
