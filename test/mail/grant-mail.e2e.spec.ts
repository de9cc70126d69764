import { OutboxWorker } from '@loomworks/notifications';
import { TestContext, type SignedIn, uniqueEmail, tokenOf } from '../support/test-context';
import { SmtpCatcher } from '../support/smtp-catcher';

/** The claim link a mail carries, from its text part. */
const linkIn = (text: string, path: string): string => {
  const match = new RegExp(`http://localhost:3000${path}\\?token=[A-Za-z0-9_%-]+`).exec(text);
  if (!match) throw new Error(`no ${path} link in: ${text}`);
  return match[0];
};

describe('grant mail: issue → mail → claim (real SMTP server)', () => {
  let catcher: SmtpCatcher;
  let ctx: TestContext;
  let admin: SignedIn;

  beforeAll(async () => {
    catcher = await SmtpCatcher.start();
    ctx = await TestContext.create({ env: { SMTP_URL: catcher.url, OUTBOX_POLL_MS: '0' } });
    admin = await ctx.admin();
  }, 120_000);
  // each test a minute later, so "newest first" has something to order by
  beforeEach(() => ctx.clock.advanceSeconds(60));
  afterEach(() => ctx.expectLedgerConsistent());
  afterAll(async () => {
    await ctx.close();
    await catcher.stop();
  });

  const drain = () => ctx.get(OutboxWorker).drain();
  const issue = (recipientEmail: string, extra: object = {}) =>
    ctx.http().post('/admin/grants').set(ctx.as(admin)).send({ recipientEmail, asset: 'sonnet', kind: 'welcome', amount: 2500, ...extra });

  it('mails the claim URL when a grant is issued; the recipient follows the mailed link and gets the credit', async () => {
    const email = uniqueEmail('recipient');
    const issued = await issue(email).expect(201);
    expect(issued.body.mail).toEqual({ status: 'queued' });
    expect(catcher.to(email)).toHaveLength(0); // queued, not sent inside the request

    expect(await drain()).toBe(2); // the mail, and the grant.issued event's hand-over to webhooks
    const mail = await catcher.waitFor(email);
    expect(mail.subject).toBe('You have Loomworks credit to claim');
    expect(mail.text).toContain('2,500 sonnet credits');
    const claimUrl = linkIn(mail.text, '/claim');
    expect(claimUrl).toBe(issued.body.claimUrl);
    expect(mail.html).toContain(`href="${claimUrl}"`);

    const started = await ctx.http().post('/claim/grant').send({ claimToken: tokenOf(claimUrl) }).expect(200);
    const person = await ctx.finishSignup(email, started.body.registrationId, started.body.options, tokenOf(claimUrl));
    expect(person.credit).toMatchObject({ grantId: issued.body.grant.id, asset: 'sonnet', amount: 2500 });
  });

  it('mails a re-issued link that replaces the first; the first no longer works', async () => {
    const email = uniqueEmail('reissued');
    const issued = await issue(email).expect(201);
    const reissued = await ctx.http().post(`/admin/grants/${issued.body.grant.id}/reissue`).set(ctx.as(admin)).expect(200);
    expect(reissued.body.mail).toEqual({ status: 'queued' });
    await drain();
    const mails = catcher.to(email);
    expect(mails.map((m) => m.subject)).toEqual(expect.arrayContaining(['You have Loomworks credit to claim', 'Your new link to claim your Loomworks credit']));
    const second = mails.find((m) => m.subject.startsWith('Your new link'))!;
    expect(second.text).toContain('the earlier link no longer works');
    expect(linkIn(second.text, '/claim')).toBe(reissued.body.claimUrl);
    await ctx.http().post('/claim/grant').send({ claimToken: tokenOf(issued.body.claimUrl) }).expect(404);
    await ctx.http().post('/claim/grant').send({ claimToken: tokenOf(reissued.body.claimUrl) }).expect(200);
  });

  it('sends nothing with sendEmail: false, and queues nothing for a refused issuance', async () => {
    const email = uniqueEmail('handed');
    const issued = await issue(email, { sendEmail: false }).expect(201);
    expect(issued.body.mail).toEqual({ status: 'off' });
    const again = await ctx.http().post(`/admin/grants/${issued.body.grant.id}/reissue`).set(ctx.as(admin)).send({ sendEmail: false }).expect(200);
    expect(again.body.mail).toEqual({ status: 'off' });
    // the same address again is ineligible: the refusal rolls back, and no mail goes out
    expect((await issue(email).expect(409)).body.error).toBe('ineligible_email');
    await drain();
    expect(catcher.to(email)).toHaveLength(0);
    expect(await ctx.db.query(`SELECT id FROM outbox_jobs WHERE summary->>'to' = $1`, [email])).toEqual([]);
    await ctx.http().post(`/admin/grants/${issued.body.grant.id}/reissue`).set(ctx.as(admin)).send({ sendEmail: 'no' }).expect(400);
  });

  it('GET /admin/mail lists mails newest first with their status, never a link', async () => {
    const email = uniqueEmail('listed');
    const issued = await issue(email).expect(201);
    const pending = await ctx.http().get('/admin/mail?status=pending').set(ctx.as(admin)).expect(200);
    expect(pending.body.mail).toBe('on');
    expect(pending.body.items[0]).toEqual({
      id: expect.any(String),
      to: email,
      template: 'claim_link',
      status: 'pending',
      attempts: 0,
      lastError: null,
      createdAt: expect.any(String),
      sentAt: null,
    });
    await drain();
    const all = await ctx.http().get('/admin/mail?limit=2').set(ctx.as(admin)).expect(200);
    expect(all.body.items).toHaveLength(2);
    expect(all.body.items[0]).toMatchObject({ to: email, status: 'sent', attempts: 1, sentAt: expect.any(String) });
    expect(JSON.stringify(all.body)).not.toContain(tokenOf(issued.body.claimUrl));
    // the next page continues where the first stopped
    const next = await ctx.http().get(`/admin/mail?limit=2&cursor=${all.body.nextCursor}`).set(ctx.as(admin)).expect(200);
    const ids = [...all.body.items, ...next.body.items].map((i: { id: string }) => i.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect((await ctx.http().get('/admin/mail?status=sent').set(ctx.as(admin)).expect(200)).body.items.every((i: { status: string }) => i.status === 'sent')).toBe(true);

    expect((await ctx.http().get('/admin/mail?status=lost').set(ctx.as(admin)).expect(400)).body.error).toBe('validation_failed');
    expect((await ctx.http().get('/admin/mail?cursor=bogus').set(ctx.as(admin)).expect(400)).body.error).toBe('validation_failed');
  });
});
