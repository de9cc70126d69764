import { Outbox } from '@loomworks/outbox';
import { TestContext, tokenOf, uniqueEmail, type SignedIn } from '../support/test-context';

/**
 * Bulk grants (API.md `POST /admin/grants/bulk`): CSV or JSON, each row issued, ineligible or
 * invalid on its own, a dry run that changes nothing, mails queued per issued row, audited, and
 * a retry with the same Idempotency-Key answering the first result without issuing again.
 */
describe('POST /admin/grants/bulk', () => {
  let ctx: TestContext;
  let admin: SignedIn;
  let member: SignedIn;
  let mails: jest.SpiedFunction<Outbox['enqueueMail']>;

  beforeAll(async () => {
    ctx = await TestContext.create();
    admin = await ctx.admin();
    member = await ctx.signedInPerson();
    // Mail is off in this context (no SMTP_URL): the outbox is asked to queue each claim mail in the row's transaction.
    mails = jest.spyOn(ctx.get(Outbox), 'enqueueMail');
  });
  afterAll(() => ctx.close());

  const bulk = (body: string | object, query: Record<string, string> = {}, key?: string) => {
    const req = ctx.http().post('/admin/grants/bulk').query(query).set(ctx.as(admin));
    if (key) req.set('Idempotency-Key', key);
    return typeof body === 'string' ? req.set('content-type', 'text/csv').send(body) : req.send(body);
  };
  const counts = async () => {
    const [row] = await ctx.db.query<{ grants: number; audits: number }>(
      `SELECT (SELECT count(*)::int FROM credit.grants) AS grants,
              (SELECT count(*)::int FROM admin_audit WHERE action = 'grant.issue') AS audits`,
    );
    return { ...row, mails: mails.mock.calls.filter(([, mail]) => mail.template === 'claim_link').length };
  };

  let already: string;
  let fresh: string[];
  let csv: string;
  beforeAll(async () => {
    already = uniqueEmail('already');
    await ctx.newGrant({ recipientEmail: already });
    fresh = [uniqueEmail('bulk'), uniqueEmail('bulk'), 'first.last+beta@gmail.com'];
    csv = [
      'recipientEmail,asset,kind,amount,expiresInDays,note',
      `${fresh[0]},haiku,welcome,100,,"cohort 1, wave ""A"""`,
      `${fresh[1]},sonnet,promo,250,30,`,
      'not-an-address,haiku,welcome,100,,',
      `${uniqueEmail('zero')},haiku,welcome,0,,`,
      `${uniqueEmail('asset')},platinum,welcome,10,,`,
      `${already},haiku,welcome,100,,`,
      `${fresh[0]},haiku,welcome,100,,`, // repeated within the file
      `${fresh[2]},haiku,welcome,5,,`,
      'firstlast@gmail.com,haiku,welcome,5,,', // a variant of the row above's mailbox
      '',
    ].join('\r\n');
  });

  const expected = (issued: 'issued' | 'would_issue') => [
    { row: 1, status: issued },
    { row: 2, status: issued },
    { row: 3, status: 'invalid', error: expect.stringContaining('recipientEmail') },
    { row: 4, status: 'invalid', error: expect.stringContaining('amount') },
    { row: 5, status: 'invalid', error: expect.stringContaining('unknown_asset') },
    { row: 6, status: 'ineligible', eligibility: 'duplicate_exact', error: expect.any(String) },
    { row: 7, status: 'ineligible', eligibility: 'duplicate_exact', error: expect.any(String) },
    { row: 8, status: issued },
    { row: 9, status: 'ineligible', eligibility: 'duplicate_normalized', error: expect.any(String) },
  ];

  it('answers a dry run row by row and changes nothing', async () => {
    const before = await counts();
    const res = await bulk(csv, { dryRun: 'true' });
    expect(res.status).toBe(200);
    expect(res.body.issued).toBe(0);
    expect(res.body.items).toEqual(expected('would_issue').map((i) => expect.objectContaining(i)));
    for (const item of res.body.items) expect(item.grant).toBeUndefined();
    expect(await counts()).toEqual(before);
  });

  it('issues each row on its own, queues a mail and an audit entry per issued row', async () => {
    const before = await counts();
    const res = await bulk(csv, {}, 'cohort-1');
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual(expected('issued').map((i) => expect.objectContaining(i)));
    expect(res.body.issued).toBe(3);
    const issued = res.body.items.filter((i: { status: string }) => i.status === 'issued');
    expect(issued.map((i: { grant: { recipientEmail: string } }) => i.grant.recipientEmail)).toEqual([fresh[0], fresh[1], fresh[2]]);
    expect(issued[1].grant).toMatchObject({ asset: 'sonnet', kind: 'promo', amount: 250, status: 'issued', issuedBy: admin.person.id });
    expect(await counts()).toEqual({ grants: before.grants + 3, mails: before.mails + 3, audits: before.audits + 3 });
    expect(mails.mock.calls.slice(-3).map(([, mail]) => [mail.to, (mail.params as { claimUrl: string }).claimUrl])).toEqual(issued.map((i: { grant: { recipientEmail: string }; claimUrl: string }) => [i.grant.recipientEmail, i.claimUrl]));
    const [audit] = await ctx.db.query<{ details: { note: string; bulk: { key: string; row: number } } }>(
      "SELECT details FROM admin_audit WHERE action = 'grant.issue' AND subject_id = $1",
      [issued[0].grant.id],
    );
    expect(audit.details).toMatchObject({ note: 'cohort 1, wave "A"', bulk: { key: 'cohort-1', row: 1 } });

    // the claim URL works: signing up with it credits the new account
    const claimed = await ctx.signedInPerson({ email: fresh[1], claimToken: tokenOf(issued[1].claimUrl) });
    expect(claimed.credit).toMatchObject({ asset: 'sonnet', amount: 250 });

    // a retry with the same key answers the same, issuing nothing
    const again = await bulk(csv, {}, 'cohort-1');
    expect(again.status).toBe(200);
    expect(again.body).toEqual(res.body);
    expect((await counts()).grants).toBe(before.grants + 3);
    // the same key with another file
    expect((await bulk(`${csv}${uniqueEmail()},haiku,welcome,1,,\r\n`, {}, 'cohort-1')).body.error).toBe('idempotency_key_reused');
    await ctx.expectLedgerConsistent();
  });

  it('takes JSON {grants} the same way', async () => {
    const email = uniqueEmail('json');
    const res = await bulk({ grants: [{ recipientEmail: email, asset: 'haiku', kind: 'welcome', amount: 7 }, { recipientEmail: email, asset: 'haiku', kind: 'welcome', amount: 7, extra: 1 }, 42] }, {}, 'json-1');
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual([
      expect.objectContaining({ row: 1, status: 'issued', claimUrl: expect.stringContaining('/claim?token=') }),
      expect.objectContaining({ row: 2, status: 'invalid', error: expect.stringContaining('extra') }),
      expect.objectContaining({ row: 3, status: 'invalid' }),
    ]);
    for (const body of [{ grants: 'x' }, [], { rows: [] }, { grants: [], more: 1 }]) {
      const bad = await bulk(body, { dryRun: 'true' });
      expect([JSON.stringify(body), bad.status, bad.body.error]).toEqual([JSON.stringify(body), 400, 'validation_failed']);
    }
  });

  it('refuses a real run without an Idempotency-Key, a bad header or file, and more than 10,000 rows', async () => {
    const noKey = await bulk(csv);
    expect(noKey.status).toBe(400);
    expect(noKey.body.error).toBe('idempotency_key_required');
    const header = await bulk('email,asset,kind,amount\r\na@b.co,haiku,welcome,1\r\n', { dryRun: 'true' });
    expect(header.status).toBe(400);
    expect(header.body.error).toBe('validation_failed');
    const broken = await bulk('recipientEmail,asset,kind,amount\r\n"a@b.co,haiku,welcome,1\r\n', { dryRun: 'true' });
    expect(broken.status).toBe(400);
    expect((await bulk(csv, { dryRun: 'maybe' })).status).toBe(400);

    const rows = Array.from({ length: 10_001 }, (_, i) => `r${i}@example.com,haiku,welcome,1`);
    const tooMany = await bulk(['recipientEmail,asset,kind,amount', ...rows].join('\n'), { dryRun: 'true' });
    expect(tooMany.status).toBe(413);
    expect(tooMany.body.error).toBe('payload_too_large');
    const tooManyJson = await bulk({ grants: rows.map((r) => ({ recipientEmail: r.split(',')[0], asset: 'haiku', kind: 'welcome', amount: 1 })) }, { dryRun: 'true' });
    expect(tooManyJson.status).toBe(413);

    expect((await ctx.http().post('/admin/grants/bulk').query({ dryRun: 'true' }).set(ctx.as(member)).send({ grants: [] })).status).toBe(403);
    expect((await ctx.http().post('/admin/grants/bulk').set(ctx.as(admin)).set('content-type', 'text/plain').send('x')).status).toBe(415);
  });
});
