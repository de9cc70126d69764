import { Transactions } from '@loomworks/database';
import { PersonsService } from '@loomworks/persons';
import { ValidationFailedError, InvalidEmailError } from '@loomworks/common';
import {
  emailHashes,
  GrantAlreadyClaimedError,
  GrantEmailMismatchError,
  GrantExpiredError,
  GrantNotFoundError,
  GrantRevokedError,
  IneligibleEmailError,
  InvalidAmountError,
  UnknownAssetError,
} from '@loomworks/credit';
import { GrantsService, LedgerService, LifecycleService } from '@loomworks/credit/staff';
import { TestContext, unique, uniqueEmail } from '../support/test-context';

describe('grants', () => {
  let ctx: TestContext;
  let grants: GrantsService;
  let ledger: LedgerService;
  let persons: PersonsService;
  let transactions: Transactions;

  beforeAll(async () => {
    ctx = await TestContext.create();
    grants = ctx.get(GrantsService);
    ledger = ctx.get(LedgerService);
    persons = ctx.get(PersonsService);
    transactions = ctx.get(Transactions);
  });
  afterEach(() => ctx.expectLedgerConsistent());
  afterAll(() => ctx.close());

  const countGrants = async () => Number((await ctx.db.query<{ n: string }>('SELECT count(*) AS n FROM credit.grants'))[0].n);
  const claim = (claimToken: string, personId: string, email: string) =>
    transactions.run((tx) => grants.claimInTransaction(tx, { claimToken, personId, email }));

  describe('issue', () => {
    it('stores the grant with a default expiry and only the hash of a 256-bit token', async () => {
      const email = uniqueEmail('Issue');
      const { grant, claimToken } = await ctx.newGrant({ recipientEmail: `  ${email.toUpperCase()} `, asset: 'sonnet', amount: 1500n });
      expect(grant).toMatchObject({
        asset: 'sonnet', kind: 'welcome', amount: 1500n, recipientEmail: email.toLowerCase(), status: 'issued',
        expiresAt: new Date(ctx.clock.now().getTime() + 30 * 86_400_000), claimedByPersonId: null,
      });
      expect(claimToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const dump = JSON.stringify(await ctx.db.query('SELECT * FROM credit.grants WHERE id = $1', [grant.id]));
      expect(dump).not.toContain(claimToken);
      const [registry] = await ctx.db.query('SELECT last_grant_id FROM credit.email_grant_registry WHERE email_hash = $1', [emailHashes(email).exactHash]);
      expect(registry).toEqual({ last_grant_id: grant.id });
    });

    it('draws a fresh token each time', async () => {
      const tokens = new Set(await Promise.all([1, 2, 3, 4].map(async () => (await ctx.newGrant()).claimToken)));
      expect(tokens.size).toBe(4);
    });

    it.each([
      [{ asset: 'platinum' }, UnknownAssetError],
      [{ amount: 0n }, InvalidAmountError],
      [{ amount: -5n }, InvalidAmountError],
      [{ amount: 2n ** 53n }, InvalidAmountError],
      [{ recipientEmail: 'not-an-email' }, InvalidEmailError],
      [{ overrideEligibility: true, note: ' ' }, ValidationFailedError],
    ])('refuses %p and writes nothing', async (bad, error) => {
      const before = await countGrants();
      await expect(
        grants.issue({ recipientEmail: uniqueEmail(), asset: 'haiku', kind: 'promo', amount: 10n, ...bad }),
      ).rejects.toBeInstanceOf(error);
      expect(await countGrants()).toBe(before);
    });
  });

  describe('eligibility', () => {
    it('is eligible for a fresh address', async () => {
      expect(await grants.checkEligibility(uniqueEmail())).toEqual({ eligibility: 'eligible', matchedHash: null });
    });

    it('is duplicate_exact once the address has an issued grant, duplicate_normalized for a variant', async () => {
      const local = unique('jane.doe');
      await ctx.newGrant({ recipientEmail: `${local}@gmail.com` });
      expect(await grants.checkEligibility(`${local}@gmail.com`)).toEqual({
        eligibility: 'duplicate_exact', matchedHash: emailHashes(`${local}@gmail.com`).exactHash,
      });
      const variant = `${local.replaceAll('.', '')}+promo@googlemail.com`;
      expect(await grants.checkEligibility(variant)).toEqual({
        eligibility: 'duplicate_normalized', matchedHash: emailHashes(variant).normalizedHash,
      });
    });

    it('refuses issuing to a non-eligible address with the state and matched hash', async () => {
      const email = uniqueEmail();
      await ctx.newGrant({ recipientEmail: email });
      const before = await countGrants();
      const error = await grants.issue({ recipientEmail: email, asset: 'haiku', kind: 'promo', amount: 5n }).catch((e) => e);
      expect(error).toBeInstanceOf(IneligibleEmailError);
      expect(error.details).toEqual({ eligibility: 'duplicate_exact', matchedHash: emailHashes(email).exactHash });
      expect(await countGrants()).toBe(before);
    });

    it('lets staff override with a note, recorded in the grant', async () => {
      const email = uniqueEmail();
      const admin = await ctx.newPerson();
      await ctx.newGrant({ recipientEmail: email });
      const { grant } = await grants.issue({
        recipientEmail: email, asset: 'haiku', kind: 'manual', amount: 5n, overrideEligibility: true, note: 'second chance', issuedBy: admin.id,
      });
      expect(grant.metadata).toEqual({
        eligibilityOverride: { eligibility: 'duplicate_exact', matchedHash: emailHashes(email).exactHash, note: 'second chance', by: admin.id },
      });
      expect(grant.issuedBy).toBe(admin.id);
    });

    it('does not count revoked or expired grants; counts claimed ones', async () => {
      const revokedEmail = uniqueEmail();
      const { grant } = await ctx.newGrant({ recipientEmail: revokedEmail });
      await grants.revoke(grant.id);
      expect((await grants.checkEligibility(revokedEmail)).eligibility).toBe('eligible');

      const expiredEmail = uniqueEmail();
      await grants.issue({ recipientEmail: expiredEmail, asset: 'haiku', kind: 'promo', amount: 5n, expiresInDays: 1 });
      ctx.clock.advanceDays(2);
      expect((await grants.checkEligibility(expiredEmail)).eligibility).toBe('eligible');

      const claimedEmail = uniqueEmail();
      const issued = await ctx.newGrant({ recipientEmail: claimedEmail });
      const person = await ctx.newPerson({ email: claimedEmail });
      await claim(issued.claimToken, person.id, claimedEmail);
      ctx.clock.advanceDays(400);
      expect((await grants.checkEligibility(claimedEmail)).eligibility).toBe('duplicate_exact');
    });

    it('is cooling after an account with the address was deleted, for the configured days', async () => {
      const email = uniqueEmail('cool', 'gmail.com');
      const person = await ctx.newPerson({ email });
      await ctx.get(LifecycleService).delete(person.id);
      const variant = email.replace('cool.', 'cool') .replace('@gmail.com', '+x@gmail.com');
      expect(await grants.checkEligibility(variant)).toEqual({ eligibility: 'cooling', matchedHash: emailHashes(email).normalizedHash });
      ctx.clock.advanceDays(89);
      expect((await grants.checkEligibility(email)).eligibility).toBe('cooling');
      ctx.clock.advanceDays(2);
      expect((await grants.checkEligibility(email)).eligibility).toBe('eligible');
    });

    it('lets only one of two concurrent issues to one mailbox through', async () => {
      const local = unique('race.mailbox');
      const results = await Promise.allSettled([
        grants.issue({ recipientEmail: `${local}@gmail.com`, asset: 'haiku', kind: 'welcome', amount: 5n }),
        grants.issue({ recipientEmail: `${local.replace('.', '')}@googlemail.com`, asset: 'haiku', kind: 'welcome', amount: 5n }),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toBeInstanceOf(IneligibleEmailError);
    });
  });

  describe('claim', () => {
    it('writes the issuance flow, marks the grant claimed, links the registry and sets referred_by', async () => {
      const referrer = await ctx.newPerson();
      const email = uniqueEmail();
      const { grant, claimToken } = await ctx.newGrant({ recipientEmail: email, asset: 'opus', amount: 2500n, referrerPersonId: referrer.id });
      const person = await ctx.newPerson({ email });
      const result = await claim(claimToken, person.id, email.toUpperCase());
      expect(result).toEqual({ grantId: grant.id, asset: 'opus', amount: 2500n, balanceAfter: 2500n, referrerPersonId: referrer.id });
      expect(await grants.get(grant.id)).toMatchObject({ status: 'claimed', claimedByPersonId: person.id, claimedAt: ctx.clock.now() });
      const [flow] = await ctx.db.query('SELECT kind, from_party, to_party, amount::text, idempotency_key, grant_id FROM credit.flows WHERE grant_id = $1', [grant.id]);
      expect(flow).toEqual({ kind: 'issuance', from_party: 'system:issuer', to_party: `person:${person.id}`, amount: '2500', idempotency_key: `grant:${grant.id}`, grant_id: grant.id });
      expect((await persons.getById(person.id)).referredBy).toBe(referrer.id);
      const [registry] = await ctx.db.query('SELECT person_id FROM credit.email_grant_registry WHERE email_hash = $1', [emailHashes(email).exactHash]);
      expect(registry).toEqual({ person_id: person.id });
    });

    it('previews a claimable grant without claiming it', async () => {
      const { grant, claimToken } = await ctx.newGrant();
      expect(await grants.preview(claimToken)).toEqual(grant);
      expect((await grants.get(grant.id)).status).toBe('issued');
    });

    describe('refusals change nothing', () => {
      const flows = async () => (await ctx.db.query('SELECT count(*) AS n FROM credit.flows'))[0];

      it.each([
        ['an unknown token', GrantNotFoundError],
        ['a claimed grant', GrantAlreadyClaimedError],
        ['an expired grant', GrantExpiredError],
        ['a revoked grant', GrantRevokedError],
        ['another person\'s grant', GrantEmailMismatchError],
      ])('%s', async (situation, error) => {
        const email = uniqueEmail();
        const issued = await grants.issue({ recipientEmail: email, asset: 'haiku', kind: 'promo', amount: 9n, expiresInDays: 3 });
        const person = await ctx.newPerson({ email });
        let token = issued.claimToken;
        let claimerEmail = email;
        if (situation === 'an unknown token') token = `${token.slice(0, -2)}xx`;
        if (situation === 'a claimed grant') await claim(token, person.id, email);
        if (situation === 'an expired grant') ctx.clock.advanceDays(3);
        if (situation === 'a revoked grant') await grants.revoke(issued.grant.id);
        if (situation === 'another person\'s grant') claimerEmail = uniqueEmail();
        const before = [await flows(), await grants.get(issued.grant.id)];

        await expect(claim(token, person.id, claimerEmail)).rejects.toBeInstanceOf(error);
        // The claim page refuses the same tokens (the email binding is checked at claim time only).
        const previewRefusal = await grants.preview(token).then(() => null, (e: unknown) => (e as object).constructor);
        expect(previewRefusal).toBe(error === GrantEmailMismatchError ? null : error);
        expect([await flows(), await grants.get(issued.grant.id)]).toEqual(before);
      });
    });

    it('lets exactly one of two concurrent claims of one token win, every time', async () => {
      for (let round = 0; round < 20; round++) {
        const email = uniqueEmail('race');
        const { grant, claimToken } = await ctx.newGrant({ recipientEmail: email, amount: 100n });
        const person = await ctx.newPerson({ email });
        const results = await Promise.allSettled([claim(claimToken, person.id, email), claim(claimToken, person.id, email)]);
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toBeInstanceOf(GrantAlreadyClaimedError);
        expect(await ledger.balance(person.id, 'haiku')).toBe(100n);
        expect(await ctx.db.query('SELECT 1 FROM credit.flows WHERE grant_id = $1', [grant.id])).toHaveLength(1);
      }
    });

    it('rolls back with the caller\'s transaction (signup failing after the claim)', async () => {
      const email = uniqueEmail();
      const { grant, claimToken } = await ctx.newGrant({ recipientEmail: email });
      await expect(
        transactions.run(async (tx) => {
          const person = await persons.createPerson(tx, { email, displayName: 'Late failure' });
          await grants.claimInTransaction(tx, { claimToken, personId: person.id, email });
          throw new Error('session creation failed');
        }),
      ).rejects.toThrow('session creation failed');
      expect((await grants.get(grant.id)).status).toBe('issued');
      expect(await ctx.db.query('SELECT 1 FROM credit.flows WHERE grant_id = $1', [grant.id])).toHaveLength(0);
      expect(await persons.findLiveByEmail(email)).toBeNull();
    });
  });

  describe('revoke, reissue, list', () => {
    it('revokes an issued grant (idempotently) but never a claimed one', async () => {
      const { grant } = await ctx.newGrant();
      expect((await grants.revoke(grant.id)).status).toBe('revoked');
      expect((await grants.revoke(grant.id)).status).toBe('revoked');
      const person = await ctx.fundedPerson();
      const [{ id }] = await ctx.db.query<{ id: string }>("SELECT id FROM credit.grants WHERE claimed_by_person_id = $1", [person.id]);
      await expect(grants.revoke(id)).rejects.toBeInstanceOf(GrantAlreadyClaimedError);
      await expect(grants.revoke('00000000-0000-4000-8000-000000000000')).rejects.toBeInstanceOf(GrantNotFoundError);
    });

    it('reissues with a new token, keeping the expiry unless told; the old token dies', async () => {
      const kept = await ctx.newGrant();
      ctx.clock.advanceDays(3);
      expect((await grants.reissue(kept.grant.id)).grant.expiresAt).toEqual(kept.grant.expiresAt);
      const moved = await grants.reissue(kept.grant.id, undefined, 7);
      expect(moved.grant.expiresAt).toEqual(new Date(ctx.clock.now().getTime() + 7 * 86_400_000));
      expect((await grants.reissue(kept.grant.id)).grant.expiresAt).toEqual(moved.grant.expiresAt);

      // Past its expiry, the grant's own date would make the new link dead on arrival: the default applies.
      const email = uniqueEmail();
      const first = await ctx.newGrant({ recipientEmail: email });
      ctx.clock.advanceDays(40);
      expect(first.grant.expiresAt.getTime()).toBeLessThan(ctx.clock.now().getTime());
      const second = await grants.reissue(first.grant.id);
      expect(second.grant.expiresAt.getTime()).toBeGreaterThan(ctx.clock.now().getTime());
      expect(second.claimToken).not.toBe(first.claimToken);
      expect(second.grant.status).toBe('issued');
      await expect(grants.preview(first.claimToken)).rejects.toBeInstanceOf(GrantNotFoundError);
      const person = await ctx.newPerson({ email });
      expect((await claim(second.claimToken, person.id, email)).amount).toBe(1000n);
      await expect(grants.reissue(first.grant.id)).rejects.toBeInstanceOf(GrantAlreadyClaimedError);
      const revoked = await ctx.newGrant();
      await grants.revoke(revoked.grant.id);
      await expect(grants.reissue(revoked.grant.id)).rejects.toBeInstanceOf(GrantRevokedError);
    });

    it('lists by status and by exact or normalized address, newest first, in stable pages', async () => {
      const local = unique('list.mailbox');
      const a = await ctx.newGrant({ recipientEmail: `${local}@gmail.com` });
      ctx.clock.advanceDays(0.001);
      await grants.revoke(a.grant.id);
      const b = await grants.issue({ recipientEmail: `${local.replace('.', '')}+2@gmail.com`, asset: 'haiku', kind: 'promo', amount: 1n, overrideEligibility: true, note: 'n' });
      const byEmail = await grants.list({ email: `${local}@gmail.com` });
      expect(byEmail.items.map((g) => g.id)).toEqual([b.grant.id, a.grant.id]);
      expect((await grants.list({ email: `${local}@gmail.com`, status: 'revoked' })).items.map((g) => g.id)).toEqual([a.grant.id]);

      const all: string[] = [];
      let cursor: string | null = null;
      do {
        const page = await grants.list({ limit: 3, cursor });
        all.push(...page.items.map((g) => g.id));
        cursor = page.nextCursor;
      } while (cursor);
      expect(new Set(all).size).toBe(all.length);
      expect(all.length).toBe(Number((await ctx.db.query<{ n: string }>('SELECT count(*) AS n FROM credit.grants'))[0].n));
    });

    it('derives expired on read', async () => {
      const { grant } = await grants.issue({ recipientEmail: uniqueEmail(), asset: 'haiku', kind: 'promo', amount: 1n, expiresInDays: 1 });
      ctx.clock.advanceDays(1);
      expect((await grants.get(grant.id)).status).toBe('expired');
      expect((await grants.list({ status: 'expired' })).items.map((g) => g.id)).toContain(grant.id);
    });
  });
});
