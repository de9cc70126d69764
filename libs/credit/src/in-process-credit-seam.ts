import { Injectable } from '@nestjs/common';
import type { PageRequest } from '@loomworks/common';
import { Transactions, type Tx } from '@loomworks/database';
import { AuthorizationsService } from './authorizations.service';
import type { CreditSeam } from './credit-seam';
import type { AuthorizeCommand } from './domain/authorizations';
import type { ClaimGrantCommand, IssueGrantCommand } from './domain/grant';
import type { PlaceHoldCommand, SettleHoldCommand } from './domain/holds';
import type { ReferralCommand } from './domain/ledger';
import { GrantsService } from './grants.service';
import { HoldsService } from './holds.service';
import { LedgerService } from './ledger.service';
import { LifecycleService } from './lifecycle.service';
import { TiersService } from './tiers.service';
import { SpendLimitsService } from './spend-limits.service';
import type { LimitPeriod, SpendLimit, SpendScope } from './domain/limits';

/** The production CreditSeam, backed by this process's Postgres. */
@Injectable()
export class InProcessCreditSeam implements CreditSeam {
  constructor(
    private readonly transactions: Transactions,
    private readonly grants: GrantsService,
    private readonly ledger: LedgerService,
    private readonly tiers: TiersService,
    private readonly lifecycle: LifecycleService,
    private readonly holds: HoldsService,
    private readonly authorizations: AuthorizationsService,
    private readonly limits: SpendLimitsService,
  ) {}

  checkEligibility(email: string) {
    return this.grants.checkEligibility(email);
  }

  issueGrant(command: IssueGrantCommand) {
    return this.grants.issue(command);
  }

  previewGrant(claimToken: string) {
    return this.grants.preview(claimToken);
  }

  claimGrant(command: ClaimGrantCommand, tx?: Tx) {
    return this.transactions.join(tx, (t) => this.grants.claimInTransaction(t, command));
  }

  resolveCredit(personId: string, tx?: Tx) {
    return this.tiers.resolve(personId, tx);
  }

  balances(personId: string) {
    return this.ledger.balances(personId);
  }

  creditSummary(personId: string) {
    return this.ledger.creditSummary(personId);
  }

  poolCreditSummary(engagementId: string) {
    return this.ledger.poolCreditSummary(engagementId);
  }

  balancesAsOf(personId: string, at: Date) {
    return this.ledger.balancesAsOf(personId, at);
  }

  poolBalancesAsOf(engagementId: string, at: Date) {
    return this.ledger.poolBalancesAsOf(engagementId, at);
  }

  personFlowRows(personId: string, range: { from?: Date; to?: Date }) {
    return this.ledger.exportPersonFlows(personId, range);
  }

  personFlows(personId: string, page?: PageRequest) {
    return this.ledger.flows(personId, page);
  }

  placeHold(command: PlaceHoldCommand) {
    return this.holds.place(command);
  }

  settleHold(command: SettleHoldCommand, tx?: Tx) {
    return this.holds.settle(command, tx);
  }

  personLimits(personId: string) {
    return this.limits.personLimits(personId);
  }

  setPersonLimit(personId: string, setter: 'staff' | 'self', limit: SpendLimit | null, tx?: Tx) {
    return this.limits.setPersonLimit(personId, setter, limit, tx);
  }

  spentThisPeriod(items: { scope: SpendScope; period: LimitPeriod }[]) {
    return this.limits.spentThisPeriod(items);
  }

  async releaseHold(holdId: string, tx?: Tx) {
    await this.holds.release(holdId, tx);
  }

  suspendAccount(personId: string, tx?: Tx) {
    return this.lifecycle.suspend(personId, tx);
  }

  reactivateAccount(personId: string, tx?: Tx) {
    return this.lifecycle.reactivate(personId, tx);
  }

  deleteAccount(personId: string, tx?: Tx) {
    return this.lifecycle.delete(personId, tx);
  }

  writeReferralCredit(command: ReferralCommand, tx?: Tx) {
    return this.lifecycle.writeReferralCredit(command, tx);
  }

  authorize(command: AuthorizeCommand, tx?: Tx) {
    return this.authorizations.authorize(command, tx);
  }

  captureAuthorization(id: string, amount: bigint, tx?: Tx) {
    return this.authorizations.capture(id, amount, tx);
  }

  voidAuthorization(id: string, tx?: Tx) {
    return this.authorizations.void(id, tx);
  }

  getAuthorization(id: string) {
    return this.authorizations.get(id);
  }
}
