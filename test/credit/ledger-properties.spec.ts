/* eslint-disable jest/no-conditional-expect -- a model-based property test: each random operation asserts what its branch of the model predicts */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { Transactions } from '@loomworks/database';
import { InvalidAccountTransitionError, PersonsService, canTransition, type AccountStatus } from '@loomworks/persons';
import { AccountDeletedError, CREDIT_SEAM, LedgerKeyReusedError, type CreditSeam } from '@loomworks/credit';
import { LedgerService } from '@loomworks/credit/staff';
import { TestContext, uniqueEmail } from '../support/test-context';

/**
 * Random sequences of issue / claim / consume / referral / adjust / suspend / reactivate / delete
 * against the real database, checked after every step against a plain in-memory model and the
 * ledger invariants.
 */
const ASSETS = ['haiku', 'sonnet', 'opus'] as const;
const HAIKU = 'claude-haiku-4-5-20251001';

type Op =
  | { op: 'issueAndClaim'; asset: (typeof ASSETS)[number]; amount: number }
  | { op: 'consume'; who: number; input: number; output: number }
  | { op: 'referral'; who: number; referred: number }
  | { op: 'adjust'; who: number; asset: (typeof ASSETS)[number]; amount: number }
  | { op: 'transition'; who: number; to: AccountStatus };

const asset = fc.constantFrom(...ASSETS);
const who = fc.nat({ max: 20 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('issueAndClaim' as const), asset, amount: fc.integer({ min: 1, max: 5000 }) }),
  fc.record({ op: fc.constant('consume' as const), who, input: fc.nat({ max: 20_000 }), output: fc.nat({ max: 5_000 }) }),
  fc.record({ op: fc.constant('referral' as const), who, referred: who }),
  fc.record({ op: fc.constant('adjust' as const), who, asset, amount: fc.integer({ min: -3000, max: 3000 }).filter((n) => n !== 0) }),
  fc.record({ op: fc.constant('transition' as const), who, to: fc.constantFrom<AccountStatus>('active', 'suspended', 'deleted') }),
);

interface ModelPerson {
  id: string;
  status: AccountStatus;
  balances: Map<string, bigint>;
}

describe('ledger properties', () => {
  let ctx: TestContext;

  beforeAll(async () => {
    ctx = await TestContext.create();
  });
  afterAll(() => ctx.close());

  it('keeps balances equal to the model and every invariant, after every step of any sequence', async () => {
    const seam = ctx.get<CreditSeam>(CREDIT_SEAM);
    const ledger = ctx.get(LedgerService);
    const persons = ctx.get(PersonsService);
    const transactions = ctx.get(Transactions);
    const people: ModelPerson[] = [];
    /** referred person → the referrer their referral credit went to */
    const referrers = new Map<string, string>();
    const add = (p: ModelPerson, a: string, delta: bigint) => p.balances.set(a, (p.balances.get(a) ?? 0n) + delta);

    const step = async (o: Op) => {
      const p = people.length ? people[('who' in o ? o.who : 0) % people.length] : undefined;
      switch (o.op) {
        case 'issueAndClaim': {
          const email = uniqueEmail('prop');
          const { claimToken } = await seam.issueGrant({ recipientEmail: email, asset: o.asset, kind: 'welcome', amount: BigInt(o.amount) });
          const id = await transactions.run(async (tx) => {
            const person = await persons.createPerson(tx, { email, displayName: 'Prop' });
            await seam.claimGrant({ claimToken, personId: person.id, email }, tx);
            return person.id;
          });
          people.push({ id, status: 'active', balances: new Map([[o.asset, BigInt(o.amount)]]) });
          return;
        }
        case 'consume': {
          if (!p || p.status === 'deleted') return;
          const turnId = randomUUID();
          const placed = await seam.placeHold({
            personId: p.id, turnId, classify: { inputTokens: 1, maxTokens: 1 }, respond: { inputTokens: o.input, maxTokens: Math.max(1, o.output) },
          });
          if (placed.status !== 'placed') return; // refused (suspended, too little credit): nothing changes
          const result = await seam.settleHold({
            holdId: placed.hold.id, turnId,
            stages: [{ stage: 'respond', model: HAIKU, usage: { input: o.input, output: o.output, cacheRead: 0, cacheWrite: 0 } }],
          });
          const expected = (BigInt(o.input) * 1000n + BigInt(o.output) * 5000n + 999_999n) / 1_000_000n;
          expect(result.charged).toBe(expected);
          add(p, placed.hold.asset, -expected);
          return;
        }
        case 'referral': {
          if (!p || people.length < 2) return;
          const referred = people[o.referred % people.length];
          const creditedTo = referrers.get(referred.id);
          if (creditedTo !== undefined && creditedTo !== p.id) {
            // once per referred person: another referrer under the same key is refused, not answered with the first flow
            await expect(seam.writeReferralCredit({ referrerPersonId: p.id, referredPersonId: referred.id })).rejects.toBeInstanceOf(LedgerKeyReusedError);
            return;
          }
          const { created } = await seam.writeReferralCredit({ referrerPersonId: p.id, referredPersonId: referred.id });
          if (created) add(p, 'haiku', 500n);
          referrers.set(referred.id, p.id);
          return;
        }
        case 'adjust': {
          if (!p) return;
          if (p.status === 'deleted') {
            // a deleted account takes no credit (nor a debit): refused, nothing written
            await expect(ledger.adjust({ personId: p.id, asset: o.asset, amount: BigInt(o.amount), reason: 'property', actorPersonId: null })).rejects.toBeInstanceOf(AccountDeletedError);
            return;
          }
          await ledger.adjust({ personId: p.id, asset: o.asset, amount: BigInt(o.amount), reason: 'property', actorPersonId: null });
          add(p, o.asset, BigInt(o.amount));
          return;
        }
        case 'transition': {
          if (!p) return;
          const run = o.to === 'active' ? seam.reactivateAccount : o.to === 'suspended' ? seam.suspendAccount : seam.deleteAccount;
          if (!canTransition(p.status, o.to)) {
            await expect(run.call(seam, p.id)).rejects.toBeInstanceOf(InvalidAccountTransitionError);
            return;
          }
          await run.call(seam, p.id);
          p.status = o.to;
          if (o.to === 'deleted') for (const a of p.balances.keys()) p.balances.set(a, 0n);
        }
      }
    };

    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 14 }), async (ops) => {
        for (const o of ops) {
          await step(o);
          const report = await ledger.verify();
          expect(report).toMatchObject({ ok: true, drift: [], unbalancedAssets: [], duplicateIdempotencyKeys: [] });
        }
        for (const p of people) {
          const actual = new Map((await ledger.balances(p.id)).map((b) => [b.asset, b.amount]));
          for (const a of new Set([...actual.keys(), ...p.balances.keys()])) {
            expect([p.id, a, actual.get(a) ?? 0n]).toEqual([p.id, a, p.balances.get(a) ?? 0n]);
          }
        }
      }),
      { numRuns: 25 },
    );
  });
});
