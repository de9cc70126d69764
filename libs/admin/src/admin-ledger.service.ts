import { Injectable, type StreamableFile } from '@nestjs/common';
import { csvFile } from '@loomworks/common';
import { asPartyFlow, asPersonFlow, creditAsOfView, type CreditAsOfSchema, creditSummaryView, flowView, jsonAmount, LEDGER_CSV_COLUMNS } from '@loomworks/credit';
import { LedgerService } from '@loomworks/credit/staff';
import { IdempotencyService, Transactions } from '@loomworks/database';
import { PersonsService, type Person } from '@loomworks/persons';
import { AuditService } from './audit.service';
import type { LedgerVerificationSchema, PersonCreditSchema } from './views';

/** Staff's ledger use cases: audited manual adjustments, a person's credit and flows, the audited export, verification. */
@Injectable()
export class AdminLedgerService {
  constructor(
    private readonly idempotency: IdempotencyService,
    private readonly audit: AuditService,
    private readonly persons: PersonsService,
    private readonly ledger: LedgerService,
    private readonly transactions: Transactions,
  ) {}

  /** With an Idempotency-Key, a retried adjustment answers the first flow instead of adjusting twice. */
  adjust(actor: Person, personId: string, input: { asset: string; amount: number; reason: string }, idempotencyKey?: string) {
    return this.idempotency.run(`admin.adjustments:${actor.id}:${personId}`, idempotencyKey, input, async (tx) => {
      await this.persons.getById(personId, tx);
      const flow = await this.ledger.adjust({ personId, asset: input.asset, amount: BigInt(input.amount), reason: input.reason, actorPersonId: actor.id }, tx);
      await this.audit.record(tx, {
        actorPersonId: actor.id,
        action: 'person.adjust',
        subjectType: 'person',
        subjectId: personId,
        details: { asset: input.asset, amount: input.amount, reason: input.reason, flowId: flow.id },
      });
      return flowView(asPersonFlow(flow, personId));
    });
  }

  /** Funds (or debits) a team pool, audited; with an Idempotency-Key a retry answers the first flow. */
  adjustPool(actor: Person, engagementId: string, input: { asset: string; amount: number; reason: string }, idempotencyKey?: string) {
    return this.idempotency.run(`admin.pool-adjustments:${actor.id}:${engagementId}`, idempotencyKey, input, async (tx) => {
      const flow = await this.ledger.adjustPool({ engagementId, asset: input.asset, amount: BigInt(input.amount), reason: input.reason, actorPersonId: actor.id }, tx);
      await this.audit.record(tx, {
        actorPersonId: actor.id,
        action: 'pool.adjust',
        subjectType: 'engagement',
        subjectId: engagementId,
        details: { asset: input.asset, amount: input.amount, reason: input.reason, flowId: flow.id },
      });
      return flowView(asPartyFlow(flow, `engagement:${engagementId}`));
    });
  }

  async personCredit(personId: string, page: { limit?: number; cursor?: string }): Promise<PersonCreditSchema> {
    await this.persons.getById(personId);
    const [credit, flows] = await Promise.all([this.ledger.creditSummary(personId), this.ledger.flows(personId, page)]);
    const { balances, holds } = creditSummaryView(credit);
    return { balances, holds, flows: flows.items.map(flowView), nextCursor: flows.nextCursor };
  }

  /** A person's ledger balances at a past instant (`?asOf=`). */
  async personCreditAsOf(personId: string, at: Date): Promise<CreditAsOfSchema> {
    await this.persons.getById(personId);
    return creditAsOfView(await this.ledger.balancesAsOf(personId, at), at);
  }

  /**
   * Every flow in the range as CSV (LEDGER_CSV_COLUMNS), streamed; audited once the export has
   * started (one per staff member at a time: a second is refused before anything is recorded).
   */
  async exportLedger(actor: Person, range: { from?: Date; to?: Date }): Promise<StreamableFile> {
    const file = csvFile('ledger.csv', LEDGER_CSV_COLUMNS, await this.ledger.exportLedger(range, actor.id));
    try {
      await this.transactions.run((tx) =>
        this.audit.record(tx, {
          actorPersonId: actor.id,
          action: 'ledger.export',
          subjectType: 'ledger',
          subjectId: 'flows',
          details: { from: range.from?.toISOString() ?? null, to: range.to?.toISOString() ?? null },
        }),
      );
    } catch (error) {
      // Unrecorded, the export is not given out: ending its stream ends its cursor.
      file.getStream().destroy();
      throw error;
    }
    return file;
  }

  async verifyLedger(full = false): Promise<LedgerVerificationSchema> {
    const report = await this.ledger.verify({ full });
    return {
      ok: report.ok,
      checkedFlows: report.checkedFlows,
      drift: report.drift.map((d) => ({ party: d.party, asset: d.asset, balance: jsonAmount(d.balance), sumOfFlows: jsonAmount(d.sumOfFlows) })),
      unbalancedAssets: report.unbalancedAssets.map((u) => ({ asset: u.asset, sum: jsonAmount(u.sum) })),
      duplicateIdempotencyKeys: report.duplicateIdempotencyKeys,
      heldMismatch: report.heldMismatch.map((h) => ({ asset: h.asset, held: jsonAmount(h.held), activeHolds: jsonAmount(h.activeHolds) })),
      unexplainedNegativeBalances: report.unexplainedNegativeBalances.map((n) => ({ personId: n.personId, asset: n.asset, balance: jsonAmount(n.balance) })),
      sealBroken: report.sealBroken,
      sealedThrough: report.sealedThrough,
    };
  }
}
