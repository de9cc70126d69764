import { AccountDeletedError, InvalidAmountError } from '@loomworks/credit';
import { GrantsService, HoldsService, LedgerService, LifecycleService } from '@loomworks/credit/staff';
import { Transactions } from '@loomworks/database';
import { PersonsService } from '@loomworks/persons';
import { SystemConfigService } from '@loomworks/system-config';
import { FakeAnthropic } from '../support/fake-anthropic';
import { TestContext, type SignedIn } from '../support/test-context';

/**
 * DESIGN.md "Bounded everything": no write leaves a person's balance outside ±(2^53−1) (the
 * integers JSON carries exactly) — a grant, claim, adjustment or charge that would is refused
 * with 400 and writes nothing; views never fail on what is stored; a deleted account takes no
 * credit (409 account_deleted).
 */
const MAX = 9007199254740991n;

describe('amounts stay in range, deleted accounts take no credit', () => {
  const fake = new FakeAnthropic();
  let ctx: TestContext;
  let staff: SignedIn;

  beforeAll(async () => {
    await fake.start();
    ctx = await TestContext.create({ env: { ANTHROPIC_BASE_URL: fake.url, ANTHROPIC_MAX_RETRIES: '0' } });
    await ctx.get(SystemConfigService).set('anthropic_api_key', 'system-key');
    staff = await ctx.admin();
  });
  afterEach(() => ctx.expectLedgerConsistent());
  afterAll(async () => {
    await ctx.close();
    await fake.stop();
  });

  const adjust = (personId: string, amount: bigint | number, key?: string) => {
    const req = ctx.http().post(`/admin/persons/${personId}/adjustments`).set(ctx.as(staff));
    if (key) req.set('Idempotency-Key', key);
    return req.send({ asset: 'haiku', amount: Number(amount), reason: 'range test' });
  };
  const balance = (personId: string) => ctx.get(LedgerService).balance(personId, 'haiku');
  const flowCount = async (personId: string) =>
    (await ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM credit.flows WHERE person_id = $1', [personId]))[0].n;

  it('grants: up to 2^53−1 is issued, beyond is refused with 400', async () => {
    const grant = (amount: string) =>
      ctx.http().post('/admin/grants').set(ctx.as(staff)).send({ recipientEmail: `g${amount.length}-${Date.now()}@example.com`, asset: 'haiku', kind: 'manual', amount: Number(amount) });
    expect((await grant(MAX.toString()).expect(201)).body.grant.amount).toBe(Number(MAX));
    expect((await grant((MAX + 1n).toString()).expect(400)).body).toMatchObject({ statusCode: 400 });
  });

  it('the issue\'s reproduction: a grant of 2^53−1 plus an adjustment of +1 is refused, and every view and converse answer', async () => {
    const who = await ctx.signedInPerson({ credit: { asset: 'haiku', amount: MAX } });
    const before = await flowCount(who.person.id);
    const refused = await adjust(who.person.id, 1).expect(400);
    expect(refused.body).toMatchObject({ statusCode: 400, error: 'invalid_amount' });
    expect(await flowCount(who.person.id)).toBe(before);
    expect(await balance(who.person.id)).toBe(MAX);

    expect((await ctx.http().get('/me/credit').set(ctx.as(who)).expect(200)).body.balances).toEqual([{ asset: 'haiku', amount: Number(MAX), held: 0 }]);
    await ctx.http().get(`/admin/persons/${who.person.id}/credit`).set(ctx.as(staff)).expect(200);
    fake.reset({});
    const turn = await ctx.http().post(`/engagements/${who.person.personalEngagementId}/converse`).set(ctx.as(who)).send({ message: 'rich' }).expect(200);
    expect(turn.body).toMatchObject({ status: 'ok' });
    expect(turn.body.credit.balanceAfter).toBe(Number(MAX) - turn.body.credit.charged);
  });

  it('claims: a claim that would pass 2^53−1 is refused with 400 and leaves the grant claimable', async () => {
    const who = await ctx.signedInPerson({ credit: { asset: 'haiku', amount: MAX - 5n } });
    const { claimToken } = await ctx.get(GrantsService).issue({ recipientEmail: who.email, asset: 'haiku', kind: 'promo', amount: 6n, overrideEligibility: true, note: 'range test' });
    const refused = await ctx.http().post('/me/claims').set(ctx.as(who)).send({ claimToken }).expect(400);
    expect(refused.body.error).toBe('invalid_amount');
    expect(await balance(who.person.id)).toBe(MAX - 5n);
    await adjust(who.person.id, -1).expect(201);
    expect((await ctx.http().post('/me/claims').set(ctx.as(who)).send({ claimToken }).expect(201)).body.balanceAfter).toBe(Number(MAX));
  });

  it('adjustments: exactly to ±(2^53−1) is written, one credit past either bound is refused', async () => {
    const person = await ctx.newPerson();
    await adjust(person.id, MAX).expect(201);
    await adjust(person.id, 1).expect(400);
    await adjust(person.id, -MAX).expect(201);
    await adjust(person.id, -MAX).expect(201);
    expect(await balance(person.id)).toBe(-MAX);
    expect((await adjust(person.id, -1).expect(400)).body.error).toBe('invalid_amount');
    expect(await balance(person.id)).toBe(-MAX);
    await adjust(person.id, MAX).expect(201);
  });

  it('charges: a settlement that would take the balance below −(2^53−1) is refused and writes nothing', async () => {
    const holds = ctx.get(HoldsService);
    const person = await ctx.fundedPerson('haiku', 100n);
    const placed = await holds.place({ personId: person.id, turnId: '00000000-0000-4000-9000-0000000000a1', classify: { inputTokens: 10, maxTokens: 10 }, respond: { inputTokens: 10, maxTokens: 100 } });
    if (placed.status !== 'placed') throw new Error('not placed');
    // the turn outlives its hold; meanwhile staff debit the person to the lower bound
    ctx.clock.advanceSeconds(3600);
    await holds.sweepExpired();
    await adjust(person.id, -MAX).expect(201);
    await adjust(person.id, -100).expect(201);
    expect(await balance(person.id)).toBe(-MAX);
    const flows = await flowCount(person.id);
    const usage = { input: 10, output: 10, cacheRead: 0, cacheWrite: 0 };
    await expect(
      holds.settle({ holdId: placed.hold.id, turnId: '00000000-0000-4000-9000-0000000000a1', stages: [{ stage: 'classify', model: 'claude-haiku-4-5-20251001', usage }] }),
    ).rejects.toBeInstanceOf(InvalidAmountError);
    expect(await flowCount(person.id)).toBe(flows);
    expect(await ctx.get(HoldsService).byId(placed.hold.id)).toMatchObject({ status: 'expired' });
    await adjust(person.id, MAX).expect(201);
  });

  it('views answer a stored balance beyond the range (written before the check) instead of failing', async () => {
    const who = await ctx.signedInPerson({ credit: { asset: 'haiku', amount: 10n } });
    const party = `person:${who.person.id}`;
    // as if written before the range check existed: the balance row only (the ledger is restored below)
    await ctx.db.query("UPDATE credit.balances SET amount = amount + $2 WHERE party = $1 AND asset = 'haiku'", [party, MAX.toString()]);
    try {
      expect((await ctx.http().get('/me/credit').set(ctx.as(who)).expect(200)).body.balances[0].amount).toBe(Number(MAX + 10n));
      await ctx.http().get(`/admin/persons/${who.person.id}/credit`).set(ctx.as(staff)).expect(200);
      await ctx.http().get('/me/flows').set(ctx.as(who)).expect(200);
    } finally {
      await ctx.db.query("UPDATE credit.balances SET amount = amount - $2 WHERE party = $1 AND asset = 'haiku'", [party, MAX.toString()]);
    }
  });

  describe('a deleted account', () => {
    it('takes no adjustment: 409 account_deleted, nothing written', async () => {
      const person = await ctx.fundedPerson('haiku', 50n);
      await ctx.get(LifecycleService).delete(person.id);
      const flows = await flowCount(person.id);
      const res = await adjust(person.id, 500).expect(409);
      expect(res.body).toEqual({ statusCode: 409, error: 'account_deleted', message: expect.any(String) });
      expect(await flowCount(person.id)).toBe(flows);
      expect(await balance(person.id)).toBe(0n);
    });

    it('claims no grant', async () => {
      const person = await ctx.fundedPerson('haiku', 50n);
      const email = (await ctx.get(PersonsService).getById(person.id)).email;
      const { claimToken } = await ctx.get(GrantsService).issue({ recipientEmail: email, asset: 'haiku', kind: 'promo', amount: 6n, overrideEligibility: true, note: 'range test' });
      await ctx.get(LifecycleService).delete(person.id);
      await expect(
        ctx.get(Transactions).run((tx) => ctx.get(GrantsService).claimInTransaction(tx, { claimToken, personId: person.id, email })),
      ).rejects.toBeInstanceOf(AccountDeletedError);
      expect(await balance(person.id)).toBe(0n);
    });
  });
});
