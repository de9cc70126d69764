import { Transactions } from '@loomworks/database';
import { InvalidAccountTransitionError, PersonNotFoundError, PersonsService, anonymizedEmail } from '@loomworks/persons';
import { CREDIT_SEAM, emailHashes, type CreditSeam } from '@loomworks/credit';
import { LedgerService } from '@loomworks/credit/staff';
import { SystemConfigService } from '@loomworks/system-config';
import { TestContext, uniqueEmail } from '../support/test-context';

describe('account lifecycle and referral credit', () => {
  let ctx: TestContext;
  let seam: CreditSeam;
  let ledger: LedgerService;
  let persons: PersonsService;

  beforeAll(async () => {
    ctx = await TestContext.create();
    seam = ctx.get<CreditSeam>(CREDIT_SEAM);
    ledger = ctx.get(LedgerService);
    persons = ctx.get(PersonsService);
  });
  afterEach(() => ctx.expectLedgerConsistent());
  afterAll(() => ctx.close());

  it('suspends and reactivates, keeping the credit', async () => {
    const person = await ctx.fundedPerson('haiku', 50n);
    expect((await seam.suspendAccount(person.id)).accountStatus).toBe('suspended');
    expect(await ledger.balance(person.id, 'haiku')).toBe(50n);
    const back = await seam.reactivateAccount(person.id);
    expect(back).toMatchObject({ accountStatus: 'active', previousStatus: 'suspended' });
  });

  it('deletes: zeroes every balance into system:void, anonymises, marks the registry', async () => {
    const email = uniqueEmail('Leaving');
    const { claimToken } = await ctx.newGrant({ recipientEmail: email, asset: 'sonnet', amount: 300n });
    const person = await ctx.get(Transactions).run(async (tx) => {
      const p = await persons.createPerson(tx, { email, displayName: 'Leaving' });
      await seam.claimGrant({ claimToken, personId: p.id, email }, tx);
      return p;
    });
    await ledger.adjust({ personId: person.id, asset: 'haiku', amount: -40n, reason: 'overdrawn', actorPersonId: null });

    const deleted = await seam.deleteAccount(person.id);
    expect(deleted).toMatchObject({ accountStatus: 'deleted', email: anonymizedEmail(email), previousStatus: 'active' });
    expect(await ledger.balances(person.id)).toEqual([{ asset: 'haiku', amount: 0n }, { asset: 'sonnet', amount: 0n }]);
    const zeroing = await ctx.db.query<{ asset: string; from_party: string; to_party: string; amount: string }>(
      "SELECT asset, from_party, to_party, amount::text FROM credit.flows WHERE kind = 'zeroing' AND person_id = $1 ORDER BY asset",
      [person.id],
    );
    expect(zeroing).toEqual([
      { asset: 'haiku', from_party: 'system:void', to_party: `person:${person.id}`, amount: '40' },
      { asset: 'sonnet', from_party: `person:${person.id}`, to_party: 'system:void', amount: '300' },
    ]);
    const [registry] = await ctx.db.query('SELECT person_id, deleted_at FROM credit.email_grant_registry WHERE email_hash = $1', [emailHashes(email).exactHash]);
    expect(registry).toEqual({ person_id: person.id, deleted_at: ctx.clock.now() });
    // The ledger rows stay.
    expect(await ctx.db.query("SELECT 1 FROM credit.flows WHERE person_id = $1 AND kind = 'issuance'", [person.id])).toHaveLength(1);
  });

  it('deletes a suspended account too, and nothing after deletion', async () => {
    const person = await ctx.fundedPerson();
    await seam.suspendAccount(person.id);
    await seam.deleteAccount(person.id);
    const steps = [['reactivateAccount', 'active'], ['suspendAccount', 'suspended'], ['deleteAccount', 'deleted']] as const;
    for (const [step, to] of steps) {
      await expect(seam[step](person.id)).rejects.toEqual(new InvalidAccountTransitionError('deleted', to));
    }
  });

  it.each([
    ['reactivate an active account', 'reactivateAccount', 'active', 'active'],
    ['suspend a suspended account', 'suspendAccount', 'suspended', 'suspended'],
  ] as const)('refuses to %s', async (_, step, from, to) => {
    const person = await ctx.fundedPerson();
    if (from === 'suspended') await seam.suspendAccount(person.id);
    await expect(seam[step](person.id)).rejects.toEqual(new InvalidAccountTransitionError(from, to));
  });

  it('answers an unknown person with a typed error', async () => {
    await expect(seam.suspendAccount('00000000-0000-4000-8000-000000000000')).rejects.toBeInstanceOf(PersonNotFoundError);
  });

  it('deletes inside the caller\'s transaction: a later failure undoes all of it', async () => {
    const person = await ctx.fundedPerson('haiku', 70n);
    await expect(
      ctx.get(Transactions).run(async (tx) => {
        await seam.deleteAccount(person.id, tx);
        throw new Error('ending sessions failed');
      }),
    ).rejects.toThrow('ending sessions failed');
    expect(await persons.getById(person.id)).toMatchObject({ accountStatus: 'active', email: person.email });
    expect(await ledger.balance(person.id, 'haiku')).toBe(70n);
  });

  it('writes referral credit once per referred person, at the configured asset and amount', async () => {
    const referrer = await ctx.newPerson();
    const referred = await ctx.newPerson();
    await ctx.get(SystemConfigService).set('referral_credit_amount', 250);
    const first = await seam.writeReferralCredit({ referrerPersonId: referrer.id, referredPersonId: referred.id });
    const again = await seam.writeReferralCredit({ referrerPersonId: referrer.id, referredPersonId: referred.id });
    expect(first.created).toBe(true);
    expect(again).toEqual({ flow: first.flow, created: false });
    expect(first.flow).toMatchObject({ kind: 'referral', asset: 'haiku', amount: 250n, from: 'system:issuer', to: `person:${referrer.id}`, idempotencyKey: `referral:${referred.id}` });
    expect(await ledger.balance(referrer.id, 'haiku')).toBe(250n);
    await expect(seam.writeReferralCredit({ referrerPersonId: referrer.id, referredPersonId: '00000000-0000-4000-8000-000000000000' })).rejects.toBeInstanceOf(PersonNotFoundError);
  });
});
