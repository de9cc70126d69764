import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, type Clock } from '@loomworks/common';
import { Transactions, type Tx } from '@loomworks/database';
import { Outbox } from '@loomworks/outbox';
import type { SettlementResult } from './domain/holds';
import type { SettledRow } from './persistence/holds.repository';
import { HoldsRepository } from './persistence/holds.repository';
import { jsonAmount } from './views';

/**
 * The credit path's events (DESIGN.md "Events and webhooks") and the person's notice mails,
 * written in the transaction of their cause: `hold.exceeded`, `credit.low` (a person's own
 * credit) or `pool.low` (a team pool, mailed to its owners) and `budget.threshold` (a spend
 * limit's 80 % and 100 %, once per scope and period) with the settlement, `credit.exhausted` when a turn is refused for credit. Ids and amounts only.
 * The settlement's SQL already tells whether anything is due, so a turn that crosses nothing
 * costs nothing here.
 */
@Injectable()
export class CreditNotices {
  constructor(
    private readonly transactions: Transactions,
    private readonly holds: HoldsRepository,
    private readonly outbox: Outbox,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async settled(tx: Tx, turn: { holdId: string; turnId: string; personId: string }, settled: SettlementResult, row: SettledRow): Promise<void> {
    if (settled.holdExceeded) {
      await this.outbox.recordEvent(tx, {
        type: 'hold.exceeded',
        data: {
          personId: turn.personId,
          holdId: turn.holdId,
          turnId: turn.turnId,
          asset: settled.asset,
          held: jsonAmount(settled.held),
          charged: jsonAmount(settled.charged),
        },
      });
    }
    const engagementId = row.payer.startsWith('engagement:') ? row.payer.slice('engagement:'.length) : null;
    for (const alert of row.alerts) {
      await this.outbox.recordEvent(tx, {
        type: 'budget.threshold',
        data: {
          scope: alert.kind,
          personId: turn.personId,
          engagementId: alert.kind === 'person' ? null : engagementId,
          apiKeyId: alert.kind === 'apiKey' ? row.api_key_id : null,
          period: alert.period,
          periodStart: alert.periodStart,
          limit: alert.limit,
          spent: alert.spent,
          threshold: alert.threshold,
        },
      });
    }
    if (row.low_crossed && engagementId !== null && row.credit_after !== null && row.low_threshold !== null) {
      await this.outbox.recordEvent(tx, {
        type: 'pool.low',
        data: {
          engagementId,
          asset: settled.asset,
          balance: jsonAmount(BigInt(row.credit_after)),
          threshold: jsonAmount(BigInt(row.low_threshold)),
          turnId: turn.turnId,
        },
      });
      for (const to of row.pool_owner_emails ?? []) {
        await this.outbox.enqueueMail(tx, {
          template: 'pool_low',
          to,
          params: { engagementName: row.pool_name ?? '', asset: settled.asset, balance: row.credit_after, threshold: row.low_threshold },
        });
      }
    } else if (row.low_crossed && row.credit_after !== null && row.low_threshold !== null) {
      await this.outbox.recordEvent(tx, {
        type: 'credit.low',
        data: {
          personId: turn.personId,
          asset: settled.asset,
          balance: jsonAmount(BigInt(row.credit_after)),
          threshold: jsonAmount(BigInt(row.low_threshold)),
          turnId: turn.turnId,
        },
      });
      if (row.email) {
        await this.outbox.enqueueMail(tx, {
          template: 'low_balance',
          to: row.email,
          params: { asset: settled.asset, balance: row.credit_after, threshold: row.low_threshold },
        });
      }
    }
  }

  /** A turn was refused for credit: announce each of the person's tier assets not yet announced. */
  async exhausted(personId: string, assets: string[]): Promise<void> {
    await this.transactions.run(async (tx) => {
      for (const { asset, balance, email } of await this.holds.markExhausted(tx, personId, assets, this.clock.now())) {
        await this.outbox.recordEvent(tx, { type: 'credit.exhausted', data: { personId, asset, balance: jsonAmount(balance) } });
        await this.outbox.enqueueMail(tx, { template: 'credit_exhausted', to: email, params: { asset } });
      }
    });
  }
}
