import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, type Clock } from '@loomworks/common';
import { Transactions, type Tx } from '@loomworks/database';
import { Outbox } from '@loomworks/outbox';
import { PersonsService, type Person } from '@loomworks/persons';
import { storedEmailHashes } from './domain/email';
import { personParty, SYSTEM_ISSUER, SYSTEM_VOID, type Flow, type ReferralCommand } from './domain/ledger';
import { CreditSettings } from './credit-settings';
import { LedgerService } from './ledger.service';
import { jsonAmount } from './views';
import { GrantsRepository } from './persistence/grants.repository';

/** Account lifecycle (active ⇄ suspended → deleted) and the credit side of each step. */
@Injectable()
export class LifecycleService {
  constructor(
    private readonly transactions: Transactions,
    private readonly persons: PersonsService,
    private readonly ledger: LedgerService,
    private readonly grants: GrantsRepository,
    private readonly settings: CreditSettings,
    private readonly outbox: Outbox,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  suspend(personId: string, tx?: Tx): Promise<Person> {
    return this.transactions.join(tx, (t) => this.transition(t, personId, 'suspended'));
  }

  reactivate(personId: string, tx?: Tx): Promise<Person> {
    return this.transactions.join(tx, (t) => this.transition(t, personId, 'active'));
  }

  /** A status change and its event, in one transaction (an invalid transition throws before either). */
  private async transition(tx: Tx, personId: string, to: 'suspended' | 'active'): Promise<Person> {
    const { from, person } = await this.persons.transitionStatus(tx, personId, to);
    await this.outbox.recordEvent(tx, { type: to === 'active' ? 'account.reactivated' : 'account.suspended', data: { personId, from } });
    return person;
  }

  /**
   * In the caller's transaction (the admin use case ends the sessions in the same one): zero every
   * balance into system:void, anonymise the email, and start the address's cooling window. The
   * ledger rows stay.
   */
  delete(personId: string, tx?: Tx): Promise<Person> {
    return this.transactions.join(tx, async (t) => {
      const before = await this.persons.lockById(t, personId);
      const { from, person } = await this.persons.transitionStatus(t, personId, 'deleted');
      const party = personParty(personId);
      const zeroed: { asset: string; amount: number }[] = [];
      for (const { asset, amount } of await this.ledger.balances(personId, t)) {
        if (amount === 0n) continue;
        zeroed.push({ asset, amount: jsonAmount(amount) });
        await this.ledger.writeFlow(t, {
          kind: 'zeroing',
          asset,
          amount: amount > 0n ? amount : -amount,
          from: amount > 0n ? party : SYSTEM_VOID,
          to: amount > 0n ? SYSTEM_VOID : party,
          personId,
          idempotencyKey: `zeroing:${personId}:${asset}`,
          metadata: { reason: 'account_deleted' },
        });
      }
      const hashes = storedEmailHashes(before.email);
      const now = this.clock.now();
      await this.grants.linkPerson(t, hashes.exactHash, hashes.normalizedHash, personId, now, now);
      // `zeroed`: the balances written off to system:void (signed: a negative one was brought up to zero).
      await this.outbox.recordEvent(t, { type: 'account.deleted', data: { personId, from, zeroed } });
      return person;
    });
  }

  /** The referrer's credit for a referral, once per referred person (idempotent). */
  writeReferralCredit(command: ReferralCommand, tx?: Tx): Promise<{ flow: Flow; created: boolean }> {
    return this.transactions.join(tx, async (t) => {
      const { asset, amount } = await this.settings.referralCredit(t);
      await this.persons.lockById(t, command.referrerPersonId);
      await this.persons.getById(command.referredPersonId, t);
      return this.ledger.writeFlow(t, {
        kind: 'referral',
        asset,
        amount,
        from: SYSTEM_ISSUER,
        to: personParty(command.referrerPersonId),
        personId: command.referrerPersonId,
        idempotencyKey: `referral:${command.referredPersonId}`,
        metadata: { referredPersonId: command.referredPersonId },
      });
    });
  }
}
