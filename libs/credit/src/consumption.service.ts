import { Injectable } from '@nestjs/common';
import { Transactions, type Tx } from '@loomworks/database';
import { PersonsService } from '@loomworks/persons';
import { personParty, SYSTEM_CONSUMED } from './domain/ledger';
import type { ConsumptionResult, RecordConsumptionCommand } from './domain/consumption';
import { LedgerService } from './ledger.service';
import { OracleService } from './oracle.service';

@Injectable()
export class ConsumptionService {
  constructor(
    private readonly transactions: Transactions,
    private readonly ledger: LedgerService,
    private readonly oracle: OracleService,
    private readonly persons: PersonsService,
  ) {}

  /**
   * One flow per stage, `person → system:consumed`, keyed `turn:<id>:<stage>`: a retry returns the
   * flows of the first attempt and never writes a second. The balance may go negative (the usage
   * happened); the next turn's tier resolution then refuses.
   */
  async record(command: RecordConsumptionCommand, tx?: Tx): Promise<ConsumptionResult> {
    return this.transactions.join(tx, async (t) => {
      await this.persons.lockById(t, command.personId);
      const charges = [];
      for (const { stage, model, usage } of command.stages) charges.push({ stage, model, usage, charge: await this.oracle.charge(model, usage, t) });
      const total = charges.reduce((sum, c) => sum + c.charge.credits, 0n);
      // Charged without a hold: an overdraft it causes is recorded as such (verify() asks for a cause).
      const balanceBefore = await this.ledger.balance(command.personId, command.asset, t);
      const overdraft = balanceBefore - total < 0n;
      const stages: ConsumptionResult['stages'] = [];
      // The person is locked, so only this call's new flows move the balance (a retry's flows exist already).
      let written = 0n;
      for (const { stage, model, usage, charge } of charges) {
        if (charge.credits === 0n) {
          stages.push({ stage, credits: 0n, flowId: null });
          continue;
        }
        const { flow, created } = await this.ledger.writeFlow(t, {
          kind: 'consumption',
          asset: command.asset,
          amount: charge.credits,
          from: personParty(command.personId),
          to: SYSTEM_CONSUMED,
          personId: command.personId,
          idempotencyKey: `turn:${command.turnId}:${stage}`,
          metadata: { turnId: command.turnId, stage, model, tokens: usage, rates: charge.rates, ...(overdraft && { overdraft: 'no_hold' }) },
        });
        if (created) written += flow.amount;
        stages.push({ stage, credits: flow.amount, flowId: flow.id });
      }
      return {
        asset: command.asset,
        charged: stages.reduce((sum, s) => sum + s.credits, 0n),
        balanceAfter: balanceBefore - written,
        stages,
      };
    });
  }
}
