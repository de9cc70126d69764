import { OutboxWorker } from '@loomworks/notifications';
import { TestContext, type SignedIn, uniqueEmail, tokenOf } from '../support/test-context';
import { SmtpCatcher } from '../support/smtp-catcher';
import { SoftAuthenticator } from '../support/soft-authenticator';

describe('account recovery: staff link → mail → new passkey and authenticator (real SMTP server)', () => {
  let catcher: SmtpCatcher;
  let ctx: TestContext;
  let admin: SignedIn;

  beforeAll(async () => {
    catcher = await SmtpCatcher.start();
    ctx = await TestContext.create({ env: { SMTP_URL: catcher.url, OUTBOX_POLL_MS: '0' } });
    admin = await ctx.admin();
  }, 120_000);
  afterEach(() => ctx.expectLedgerConsistent());
  afterAll(async () => {
    await ctx.close();
    await catcher.stop();
  });

  const issueLink = (personId: string, body?: object) => ctx.http().post(`/admin/persons/${personId}/recovery`).set(ctx.as(admin)).send(body);

  /** A member with credit (claimed through the mailed grant link is not needed here: a plain signup). */
  async function member(): Promise<SignedIn> {
    const email = uniqueEmail('member');
    const begin = await ctx.http().post('/auth/signup/begin').send({ email, displayName: 'Member' }).expect(201);
    await ctx.get(OutboxWorker).drain();
    const code = /^\s*(\d{6})\s*$/m.exec((await catcher.waitFor(email)).text)![1];
    return ctx.finishSignup(email, begin.body.registrationId, begin.body.options, undefined, { emailCode: code });
  }

  /** begin → passkey with a new authenticator; answers the pieces totp-verify needs */
  async function startRecovery(recoveryToken: string) {
    const begin = await ctx.http().post('/auth/recovery/begin').send({ recoveryToken }).expect(200);
    const authenticator = new SoftAuthenticator();
    const passkey = await ctx
      .http()
      .post('/auth/signup/passkey')
      .send({ registrationId: begin.body.registrationId, credential: authenticator.register(begin.body.options) })
      .expect(200);
    const totpSecret: string = passkey.body.totp.secret;
    const verify = async (extra: object = { recoveryToken }) =>
      ctx.http().post('/auth/signup/totp-verify').send({ registrationId: begin.body.registrationId, code: await ctx.code(totpSecret), ...extra });
    return { begin, authenticator, totpSecret, verify };
  }

  it('replaces every passkey and the TOTP secret and ends every session, from the mailed link', async () => {
    const who = await member();
    ctx.clock.nextTotpStep();
    const secondSession = (await ctx.login(who)).body.sessionToken as string;
    await ctx.http().get('/me').set({ authorization: `Bearer ${secondSession}` }).expect(200);

    const issued = await issueLink(who.person.id).expect(201);
    expect(issued.body).toEqual({ recoveryUrl: expect.stringMatching(/^http:\/\/localhost:3000\/recover\?token=/), expiresAt: new Date(ctx.clock.now().getTime() + 86_400_000).toISOString(), mail: { status: 'queued' } });
    await ctx.get(OutboxWorker).drain();
    const mail = catcher.to(who.email).find((m) => m.subject === 'Recover your Loomworks account')!;
    expect(mail.text).toContain(issued.body.recoveryUrl);
    // only the hash is stored
    expect(JSON.stringify(await ctx.db.query('SELECT * FROM recovery_tokens'))).not.toContain(tokenOf(issued.body.recoveryUrl));

    const recovery = await startRecovery(tokenOf(mail.text.match(/http:\/\/localhost:3000\/recover\?token=\S+/)![0]));
    expect(recovery.begin.body).toMatchObject({ emailHint: expect.stringContaining('***'), expiresAt: issued.body.expiresAt });
    ctx.clock.nextTotpStep();
    const done = await recovery.verify();
    expect(done.status).toBe(200);
    expect(done.body.person).toMatchObject({ id: who.person.id, email: who.email });

    // every earlier session ended; the new one works
    await ctx.http().get('/me').set(ctx.as(who)).expect(401);
    await ctx.http().get('/me').set({ authorization: `Bearer ${secondSession}` }).expect(401);
    await ctx.http().get('/me').set({ authorization: `Bearer ${done.body.sessionToken}` }).expect(200);
    // the old passkey and the old authenticator no longer sign in; the new ones do
    ctx.clock.nextTotpStep();
    expect((await ctx.login(who)).status).toBe(401);
    ctx.clock.nextTotpStep();
    expect((await ctx.login({ ...who, authenticator: recovery.authenticator })).status).toBe(401); // new passkey, old TOTP secret
    ctx.clock.nextTotpStep();
    expect((await ctx.login({ ...who, authenticator: recovery.authenticator, totpSecret: recovery.totpSecret })).status).toBe(200);
    const passkeys = await ctx.http().get('/me/passkeys').set({ authorization: `Bearer ${done.body.sessionToken}` }).expect(200);
    expect(passkeys.body.items.map((p: { id: string }) => p.id)).toEqual([recovery.authenticator.id]);

    // single use
    expect((await ctx.http().post('/auth/recovery/begin').send({ recoveryToken: tokenOf(issued.body.recoveryUrl) }).expect(404)).body.error).toBe('recovery_not_found');
    const audit = await ctx.http().get('/admin/audit').set(ctx.as(admin)).expect(200);
    expect(audit.body.items[0]).toMatchObject({ action: 'person.recovery', subjectType: 'person', subjectId: who.person.id, actorPersonId: admin.person.id });
  });

  it('an earlier unused link dies when a new one is issued', async () => {
    const who = await member();
    const first = await issueLink(who.person.id, { sendEmail: false }).expect(201);
    expect(first.body.mail).toEqual({ status: 'off' });
    const second = await issueLink(who.person.id, { sendEmail: false }).expect(201);
    expect((await ctx.http().post('/auth/recovery/begin').send({ recoveryToken: tokenOf(first.body.recoveryUrl) }).expect(404)).body.error).toBe('recovery_not_found');
    await ctx.http().post('/auth/recovery/begin').send({ recoveryToken: tokenOf(second.body.recoveryUrl) }).expect(200);
  });

  it('expires after 24 hours; a recovery begun just before can’t outlive its link', async () => {
    const who = await member();
    const link = await issueLink(who.person.id, { sendEmail: false }).expect(201);
    const recovery = await startRecovery(tokenOf(link.body.recoveryUrl));
    ctx.clock.set(new Date(new Date(link.body.expiresAt).getTime() - 60_000));
    // the registration itself lives no longer than the link
    expect((await recovery.verify()).body.error).toBe('registration_not_found');

    const late = await issueLink(who.person.id, { sendEmail: false }).expect(201);
    ctx.clock.set(new Date(new Date(late.body.expiresAt).getTime() + 1000));
    expect((await ctx.http().post('/auth/recovery/begin').send({ recoveryToken: tokenOf(late.body.recoveryUrl) }).expect(410)).body.error).toBe('recovery_expired');
    await ctx.http().get('/me').set(ctx.as(who)).expect(200); // nothing changed
  });

  it('keeps recovery and plain signups apart', async () => {
    const who = await member();
    const link = await issueLink(who.person.id, { sendEmail: false }).expect(201);
    const recovery = await startRecovery(tokenOf(link.body.recoveryUrl));
    ctx.clock.nextTotpStep();
    // a recovery registration without its token
    expect((await recovery.verify({})).body.error).toBe('recovery_not_found');
    // a plain signup with a recovery token
    const begin = await ctx.http().post('/auth/signup/begin').send({ email: uniqueEmail('plain'), displayName: 'P' }).expect(201);
    const passkey = await ctx
      .http()
      .post('/auth/signup/passkey')
      .send({ registrationId: begin.body.registrationId, credential: new SoftAuthenticator().register(begin.body.options) })
      .expect(200);
    const mixed = await ctx
      .http()
      .post('/auth/signup/totp-verify')
      .send({ registrationId: begin.body.registrationId, code: await ctx.code(passkey.body.totp.secret), recoveryToken: tokenOf(link.body.recoveryUrl), emailCode: '000000' });
    expect(mixed.status).toBe(400); // the mailed code is checked first
    await ctx.http().get('/me').set(ctx.as(who)).expect(200);
    expect((await ctx.http().post('/auth/recovery/begin').send({ recoveryToken: 'nope' }).expect(404)).body.error).toBe('recovery_not_found');
    await ctx.http().post('/auth/recovery/begin').send({}).expect(400);
  });

  it('is refused for deleted persons, unknown persons and non-admins', async () => {
    const who = await member();
    const before = await issueLink(who.person.id, { sendEmail: false }).expect(201);
    await ctx.http().post(`/admin/persons/${who.person.id}/delete`).set(ctx.as(admin)).expect(200);
    const refused = await issueLink(who.person.id).expect(409);
    expect(refused.body).toMatchObject({ error: 'invalid_account_transition', from: 'deleted' });
    expect((await ctx.http().post('/auth/recovery/begin').send({ recoveryToken: tokenOf(before.body.recoveryUrl) }).expect(404)).body.error).toBe('recovery_not_found');
    expect((await issueLink('00000000-0000-4000-8000-000000000000').expect(404)).body.error).toBe('person_not_found');
    const other = await member();
    await ctx.http().post(`/admin/persons/${other.person.id}/recovery`).set(ctx.as(other)).send({}).expect(403);
    await issueLink(other.person.id, { sendEmail: 'yes' }).expect(400);
  });
});
