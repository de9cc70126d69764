import { randomUUID } from 'node:crypto';
import { personParty } from '@loomworks/credit';
import type { FlowInput } from '../../libs/credit/src/domain/ledger';
import { LedgerService } from '@loomworks/credit/staff';
import { Transactions } from '@loomworks/database';
import { TestContext, unique } from '../support/test-context';

/**
 * Verify is precise (issue 20): a negative balance is explained only by the flows that caused it —
 * a settlement's recorded hold_exceeded, a late settlement's overdraft, an adjustment that itself
 * went below zero — never by an earlier adjustment of the same person.
 */
describe('unexplained negative balances', () => {
  let ctx: TestContext;
  let ledger: LedgerService;

  beforeAll(async () => {
    ctx = await TestContext.create();
    ledger = ctx.get(LedgerService);
  });
  afterEach(() => ctx.expectLedgerConsistent());
  afterAll(() => ctx.close());

  const write = (personId: string, flows: Omit<FlowInput, 'asset' | 'personId'>[]) =>
    ctx.get(Transactions).run(async (tx) => {
      for (const flow of flows) await ledger.writeFlow(tx, { asset: 'haiku', personId, idempotencyKey: unique('flow'), ...flow });
    });
  const charge = (personId: string, amount: bigint, metadata: Record<string, unknown> = {}) =>
    write(personId, [{ kind: 'consumption', amount, from: personParty(personId), to: 'system:consumed', metadata }]);
  const adjust = (personId: string, amount: bigint) => ledger.adjust({ personId, asset: 'haiku', amount, reason: 'test', actorPersonId: null });
  const unexplained = async () => (await ledger.verify()).unexplainedNegativeBalances;
  /** Brings the person back to zero, so the ledger is consistent again. */
  const repay = async (personId: string) => adjust(personId, -(await ledger.balance(personId, 'haiku')));

  it('does not take an earlier adjustment as the cause of a later deficit', async () => {
    const person = await ctx.fundedPerson('haiku', 10n);
    await adjust(person.id, -3n); // 7, not below zero: explains nothing later
    await charge(person.id, 12n); // -5, with no cause of its own
    expect(await unexplained()).toEqual([{ personId: person.id, asset: 'haiku', balance: -5n }]);
    await repay(person.id);
  });

  it('takes an adjustment that itself went below zero as its cause', async () => {
    const person = await ctx.fundedPerson('haiku', 5n);
    await adjust(person.id, -8n);
    expect(await unexplained()).toEqual([]);
    expect(await ledger.balance(person.id, 'haiku')).toBe(-3n);
    await repay(person.id);
  });

  it.each([
    ['a settlement that recorded hold_exceeded', { holdExceeded: { holdId: 'h', held: 5, charged: 9 } }],
    ['a late settlement', { overdraft: 'late_settlement' }],
    ['a charge without a hold', { overdraft: 'no_hold' }],
  ])('takes %s as the cause of its own deficit', async (_name, metadata) => {
    const person = await ctx.fundedPerson('haiku', 5n);
    await charge(person.id, 9n, metadata);
    expect(await unexplained()).toEqual([]);
    await repay(person.id);
  });

  it('reports a new deficit after an explained one was repaid', async () => {
    const person = await ctx.fundedPerson('haiku', 5n);
    await adjust(person.id, -8n); // -3, explained
    await adjust(person.id, 3n); // 0
    await charge(person.id, 2n); // -2: this deficit has no cause
    expect(await unexplained()).toEqual([{ personId: person.id, asset: 'haiku', balance: -2n }]);
    await repay(person.id);
  });

  it('reports a deficit deepened by a charge with no cause of its own', async () => {
    const person = await ctx.fundedPerson('haiku', 5n);
    await adjust(person.id, -8n); // -3, explained
    await charge(person.id, 2n); // -5: the extra 2 is not
    expect(await unexplained()).toEqual([{ personId: person.id, asset: 'haiku', balance: -5n }]);
    await repay(person.id);
  });

  it('takes a settlement within its hold as the net it was (the adjustment that took the held credit is the cause)', async () => {
    const person = await ctx.fundedPerson('haiku', 10n);
    const party = personParty(person.id);
    const holdId = randomUUID();
    await write(person.id, [{ kind: 'hold', amount: 10n, from: party, to: 'system:held', metadata: { holdId } }]);
    ctx.clock.advanceSeconds(5);
    await adjust(person.id, -5n); // -5 while 10 are held: the adjustment itself went below zero
    ctx.clock.advanceSeconds(5);
    // The settlement: release 10, charge 8 within the hold (net +2), in one transaction.
    await write(person.id, [
      { kind: 'release', amount: 10n, from: 'system:held', to: party, metadata: { holdId } },
      { kind: 'consumption', amount: 8n, from: party, to: 'system:consumed', metadata: { holdId } },
    ]);
    expect(await ledger.balance(person.id, 'haiku')).toBe(-3n);
    expect(await unexplained()).toEqual([]);
    await repay(person.id);
  });
});
