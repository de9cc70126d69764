import type { Person } from '@loomworks/persons';
import type { CreditSeam } from '../credit-seam';
import type { ConsumptionResult, RecordConsumptionCommand } from '../consumption.service';
import type { TierResolution } from '../domain/tiers';

/**
 * A CreditSeam for suites that test something other than credit (e.g. converse routing): every
 * person resolves to the lowest tier, nothing is recorded, and grant or account operations fail
 * loudly (a suite that needs them should use the real seam). Calls are kept for assertions.
 */
export class PermissiveCreditSeam implements CreditSeam {
  readonly consumptions: RecordConsumptionCommand[] = [];

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

  async recordConsumption(command: RecordConsumptionCommand): Promise<ConsumptionResult> {
    this.consumptions.push(command);
    return {
      asset: command.asset,
      charged: 0n,
      balanceAfter: 0n,
      stages: command.stages.map((s) => ({ stage: s.stage, credits: 0n, flowId: null })),
    };
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
}

function unsupported(operation: string): never {
  throw new Error(`PermissiveCreditSeam does not support ${operation}; bind the real CREDIT_SEAM for credit tests`);
}
