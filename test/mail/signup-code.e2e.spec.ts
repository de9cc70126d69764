import { createHash } from 'node:crypto';
import { AdminTokensService } from '@loomworks/auth';
import { OutboxWorker } from '@loomworks/notifications';
import { TestContext, uniqueEmail } from '../support/test-context';
import { SmtpCatcher } from '../support/smtp-catcher';
import { SoftAuthenticator } from '../support/soft-authenticator';

const codeIn = (text: string): string => {
  const match = /^\s*(\d{6})\s*$/m.exec(text);
  if (!match) throw new Error(`no code in: ${text}`);
  return match[1];
};

describe('proven mailboxes: signup with a mailed code (real SMTP server)', () => {
  let catcher: SmtpCatcher;
  let ctx: TestContext;

  beforeAll(async () => {
    catcher = await SmtpCatcher.start();
    ctx = await TestContext.create({ env: { SMTP_URL: catcher.url, OUTBOX_POLL_MS: '0', LOGIN_MAX_FAILURES: '3' } });
  }, 120_000);
  afterEach(() => ctx.expectLedgerConsistent());
  afterAll(async () => {
    await ctx.close();
    await catcher.stop();
  });

  const drain = () => ctx.get(OutboxWorker).drain();

  /** begin + passkey; answers what totp-verify needs */
  async function startSignup(email: string, body: object = {}) {
    const begin = await ctx.http().post('/auth/signup/begin').send({ email, displayName: 'Tester', ...body }).expect(201);
    const authenticator = new SoftAuthenticator();
    const passkey = await ctx
      .http()
      .post('/auth/signup/passkey')
      .send({ registrationId: begin.body.registrationId, credential: authenticator.register(begin.body.options) })
      .expect(200);
    const verify = async (extra: object) =>
      ctx
        .http()
        .post('/auth/signup/totp-verify')
        .send({ registrationId: begin.body.registrationId, code: await ctx.code(passkey.body.totp.secret), ...extra });
    return { begin, verify };
  }

  it('mails a code at begin; the account is created only with that code', async () => {
    const email = uniqueEmail('proven');
    const { begin, verify } = await startSignup(email);
    expect(begin.body.emailVerification).toBe('sent');

    await drain();
    const mail = await catcher.waitFor(email);
    expect(mail.subject).toBe('Your Loomworks sign-up code');
    const code = codeIn(mail.text);

    // the code is at rest neither in clear nor as a plain hash
    const [row] = await ctx.db.query<{ email_code_hash: Buffer }>('SELECT email_code_hash FROM signup_registrations WHERE id = $1', [begin.body.registrationId]);
    expect(row.email_code_hash.equals(createHash('sha256').update(code).digest())).toBe(false);
    expect(JSON.stringify(await ctx.db.query('SELECT * FROM outbox_jobs'))).not.toContain(code);

    const missing = await verify({});
    expect(missing.status).toBe(400);
    expect(missing.body.error).toBe('invalid_email_code');
    const wrong = await verify({ emailCode: code === '000000' ? '111111' : '000000' });
    expect(wrong.body.error).toBe('invalid_email_code');
    ctx.clock.nextTotpStep();

    const done = await verify({ emailCode: code });
    expect(done.status).toBe(201);
    expect(done.body.person).toMatchObject({ email, role: 'member' });
  });

  it('refuses to let anyone squat a grant recipient’s address: the recipient still claims', async () => {
    const admin = await ctx.admin(); // admin token: no code needed
    const recipient = uniqueEmail('recipient');
    const issued = await ctx
      .http()
      .post('/admin/grants')
      .set({ authorization: `Bearer ${admin.sessionToken}` })
      .send({ recipientEmail: recipient, asset: 'sonnet', kind: 'welcome', amount: 700 })
      .expect(201);

    // the squatter begins a plain signup with the recipient's address: the code goes to the recipient
    const squatter = await startSignup(recipient);
    expect(squatter.begin.body.emailVerification).toBe('sent');
    const attempt = await squatter.verify({});
    expect(attempt.status).toBe(400);
    expect(attempt.body.error).toBe('invalid_email_code');
    expect(await ctx.db.query('SELECT id FROM persons WHERE email = $1', [recipient])).toEqual([]);

    // the recipient follows the mailed claim link: no code needed, the claim token proves the mailbox
    await drain();
    const claimMail = catcher.to(recipient).find((m) => m.subject === 'You have Loomworks credit to claim')!;
    const claimToken = new URL(/http:\/\/localhost:3000\/claim\?token=\S+/.exec(claimMail.text)![0]).searchParams.get('token')!;
    const started = await ctx.http().post('/claim/grant').send({ claimToken }).expect(200);
    const person = await ctx.finishSignup(recipient, started.body.registrationId, started.body.options, claimToken);
    expect(person.credit).toMatchObject({ grantId: issued.body.grant.id, asset: 'sonnet', amount: 700 });
  });

  it('throttles wrong codes per recipient address, across all its registrations', async () => {
    const email = uniqueEmail('guesser');
    // LOGIN_MAX_FAILURES is 3 here: three wrong codes spread over three registrations spend the address's budget
    for (let i = 0; i < 3; i++) {
      const { verify } = await startSignup(email);
      expect((await verify({ emailCode: `99999${i}` })).body.error).toBe('invalid_email_code');
    }
    const fresh = await startSignup(email);
    const blocked = await fresh.verify({ emailCode: '999993' });
    expect(blocked.status).toBe(429);
    expect(blocked.body.error).toBe('rate_limited');
    // another address is not affected
    const other = await startSignup(uniqueEmail('bystander'));
    expect((await other.verify({ emailCode: '999994' })).body.error).toBe('invalid_email_code');
  });

  it('mails at most 5 codes to one address per hour; further begins are refused with 429', async () => {
    const victim = uniqueEmail('victim');
    const begin = () => ctx.http().post('/auth/signup/begin').send({ email: victim, displayName: 'Victim' });
    for (let i = 0; i < 5; i++) expect((await begin()).status).toBe(201);
    const refused = await begin();
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ statusCode: 429, error: 'rate_limited' });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(60);
    await drain();
    expect(catcher.to(victim)).toHaveLength(5);
    // the limit is per recipient: another address still gets its code
    expect((await ctx.http().post('/auth/signup/begin').send({ email: uniqueEmail('other'), displayName: 'Other' })).status).toBe(201);
  });

  it('needs no code for a first-admin signup', async () => {
    const { adminToken } = await ctx.get(AdminTokensService).create();
    const email = uniqueEmail('first-admin');
    const begin = await ctx.http().post('/auth/signup/begin').send({ email, displayName: 'Admin', adminToken }).expect(201);
    expect(begin.body.emailVerification).toBe('not_required');
    const admin = await ctx.finishSignup(email, begin.body.registrationId, begin.body.options);
    expect(admin.person.role).toBe('admin');
    await drain();
    expect(catcher.to(email)).toHaveLength(0);
  });
});
