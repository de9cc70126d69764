import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, type Clock } from '@loomworks/common';
import { Transactions, type Tx } from '@loomworks/database';
import { PersonNotFoundError } from '@loomworks/persons';
import { scopeKey, type LimitPeriod, type PersonLimits, type SpendLimit, type SpendScope } from './domain/limits';
import { SpendRepository } from './persistence/spend.repository';

/**
 * Spend limits' settings and spend per period (DESIGN.md "Spend limits and team pools"). The
 * limits are enforced where holds are placed (sql/spend_limits.sql, under the payer's lock); this
 * service sets a person's limits and reads what a scope spent in its current period.
 */
@Injectable()
export class SpendLimitsService {
  constructor(
    private readonly transactions: Transactions,
    private readonly spend: SpendRepository,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async personLimits(personId: string, tx?: Tx): Promise<PersonLimits> {
    const limits = await this.spend.personLimits(tx ?? this.transactions.manager, personId);
    if (!limits) throw new PersonNotFoundError(personId);
    return limits;
  }

  /** Staff's limit or the person's own (null removes it); answers both after the change. */
  async setPersonLimit(personId: string, setter: 'staff' | 'self', limit: SpendLimit | null, tx?: Tx): Promise<PersonLimits> {
    return this.transactions.join(tx, async (t) => {
      if (!(await this.spend.setPersonLimit(t, personId, setter, limit))) throw new PersonNotFoundError(personId);
      return this.personLimits(personId, t);
    });
  }

  /** What each scope spent (settled charges minus refunds) in the current period of the given kind. */
  spentThisPeriod(items: { scope: SpendScope; period: LimitPeriod }[]): Promise<bigint[]> {
    return this.spend.spent(this.transactions.manager, items.map((i) => ({ scope: scopeKey(i.scope), period: i.period })), this.clock.now());
  }
}
