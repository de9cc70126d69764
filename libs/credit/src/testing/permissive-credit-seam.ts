import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Person } from '@loomworks/persons';
import type { CreditSeam } from '../credit-seam';
import type { Page, PersonFlow } from '../domain/ledger';
import type { TierResolution } from '../domain/tiers';
import type { PlaceHoldCommand, PlaceHoldResult, SettleHoldCommand, SettlementResult } from '../domain/holds';

/**
 * A CreditSeam for suites that test something other than credit (e.g. converse routing): every
 * person resolves to the lowest tier, nothing is recorded, and grant or account operations fail
 * loudly (a suite that needs them should use the real seam). Calls are kept for assertions.
 */
export class PermissiveCreditSeam implements CreditSeam {
  readonly placed: PlaceHoldCommand[] = [];
  readonly settled: SettleHoldCommand[] = [];
  readonly released: string[] = [];

  constructor(
    readonly tier: TierResolution = {
      asset: 'haiku',
      classifierModel: 'claude-haiku-4-5-20251001',
      responderModel: 'claude-haiku-4-5-20251001',
    },
  ) {}

  async resolveCredit(): Promise<TierResolution> {
    return this.tier;
  }

  async balances() {
    return [];
  }

  async personLimits() {
    return { staffLimit: null, selfLimit: null };
  }

  async setPersonLimit() {
    return { staffLimit: null, selfLimit: null };
  }

  async spentThisPeriod(items: unknown[]) {
    return items.map(() => 0n);
  }

  async creditSummary() {
    return { balances: [], holds: [], tier: this.tier };
  }

  async poolCreditSummary() {
    return { balances: [], holds: [], tier: this.tier };
  }

  async balancesAsOf() {
    return [];
  }

  async poolBalancesAsOf() {
    return [];
  }

  async personFlowRows(): Promise<Readable> {
    return Readable.from([]);
  }

  async personFlows(): Promise<Page<PersonFlow>> {
    return { items: [], nextCursor: null };
  }

  /** Every turn gets the lowest tier and its full max_tokens; the "hold" reserves nothing. */
  async placeHold(command: PlaceHoldCommand): Promise<PlaceHoldResult> {
    this.placed.push(command);
    return {
      status: 'placed',
      hold: { id: randomUUID(), asset: this.tier.asset, amount: 0n, expiresAt: new Date(8.64e15) },
      models: { classifier: this.tier.classifierModel, responder: this.tier.responderModel },
      respondMaxTokens: command.respond.maxTokens,
      balanceBefore: 0n,
    };
  }

  async settleHold(command: SettleHoldCommand): Promise<SettlementResult> {
    this.settled.push(command);
    return {
      asset: this.tier.asset,
      held: 0n,
      charged: 0n,
      balanceBefore: 0n,
      balanceAfter: 0n,
      holdExceeded: false,
      late: false,
      stages: command.stages.map((s) => ({ stage: s.stage, credits: 0n, flowId: null })),
    };
  }

  async releaseHold(holdId: string): Promise<void> {
    this.released.push(holdId);
  }

  async checkEligibility() {
    return { eligibility: 'eligible' as const, matchedHash: null };
  }

  issueGrant(): never {
    return unsupported('issueGrant');
  }
  previewGrant(): never {
    return unsupported('previewGrant');
  }
  claimGrant(): never {
    return unsupported('claimGrant');
  }
  suspendAccount(): Promise<Person> {
    return unsupported('suspendAccount');
  }
  reactivateAccount(): Promise<Person> {
    return unsupported('reactivateAccount');
  }
  deleteAccount(): Promise<Person> {
    return unsupported('deleteAccount');
  }
  writeReferralCredit(): never {
    return unsupported('writeReferralCredit');
  }
  authorize(): never {
    return unsupported('authorize');
  }
  captureAuthorization(): never {
    return unsupported('captureAuthorization');
  }
  voidAuthorization(): never {
    return unsupported('voidAuthorization');
  }
  getAuthorization(): never {
    return unsupported('getAuthorization');
  }
}

function unsupported(operation: string): never {
  throw new Error(`PermissiveCreditSeam does not support ${operation}; bind the real CREDIT_SEAM for credit tests`);
}
