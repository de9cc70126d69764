import { IdempotencyService } from '@loomworks/database';
import { TestContext, type SignedIn, uniqueEmail, tokenOf } from '../support/test-context';

describe('Idempotency-Key records at rest', () => {
  let ctx: TestContext;
  let admin: SignedIn;

  beforeAll(async () => {
    ctx = await TestContext.create();
    admin = await ctx.admin();
  });
  afterEach(() => ctx.expectLedgerConsistent());
  afterAll(() => ctx.close());

  const issue = (key: string, recipientEmail: string) =>
    ctx.http().post('/admin/grants').set('authorization', `Bearer ${admin.sessionToken}`).set('idempotency-key', key)
      .send({ recipientEmail, asset: 'sonnet', kind: 'welcome', amount: 25 });
  const stored = async (key: string) =>
    (await ctx.db.query<{ response: string }>('SELECT response::text FROM idempotency_keys WHERE key = $1', [key])).map((r) => r.response);

  it('keep a grant response (its claim URL is a credential) only encrypted, and replay it intact', async () => {
    const email = uniqueEmail('sealed');
    const first = await issue('sealed-1', email).expect(201);
    const token = tokenOf(first.body.claimUrl);
    const [row] = await stored('sealed-1');
    expect(row).not.toContain(token);
    expect(row).not.toContain(encodeURIComponent(token));
    expect(row).not.toContain(email);
    expect(JSON.parse(row)).toEqual({ sealed: expect.stringMatching(/^gAAAAA[\w-]+=*$/) }); // a Fernet token

    const replay = await issue('sealed-1', email).expect(201);
    expect(replay.body).toEqual(first.body);
    await ctx.http().post('/claim/grant').send({ claimToken: token }).expect(200);
  });

  it('expire after 24 h: the housekeeping deletes them, and the key is new again', async () => {
    const email = uniqueEmail('expiry');
    const first = await issue('expiry-1', email).expect(201);
    ctx.clock.set(new Date(ctx.clock.now().getTime() + 23 * 3_600_000));
    expect((await issue('expiry-1', email).expect(201)).body.grant.id).toBe(first.body.grant.id);
    const sweeper = ctx.get(IdempotencyService);
    await sweeper.sweepExpired();
    expect(await stored('expiry-1')).toHaveLength(1);

    ctx.clock.set(new Date(ctx.clock.now().getTime() + 2 * 3_600_000));
    expect(await sweeper.sweepExpired()).toBeGreaterThanOrEqual(1);
    expect(await stored('expiry-1')).toHaveLength(0);
  });

  it('treat a key whose record outlived 24 h as new even before the sweep', async () => {
    const first = await issue('expiry-2', uniqueEmail('expiry')).expect(201);
    ctx.clock.set(new Date(ctx.clock.now().getTime() + 25 * 3_600_000));
    // a different body under the old key is no longer a conflict: the old record is gone
    const second = await issue('expiry-2', uniqueEmail('expiry')).expect(201);
    expect(second.body.grant.id).not.toBe(first.body.grant.id);
  });
});
