import { Injectable } from '@nestjs/common';
import type { Tx } from '@loomworks/database';
import { SystemConfigService } from '@loomworks/system-config';
import { UnknownAssetError } from './domain/errors';
import type { TierConfig } from './domain/tiers';

const TIER_SETTINGS = ['credit_tier_priority', 'credit_tier_responder_models', 'converse_default_classifier_model'] as const;

/** The credit-related settings of system_config: tiers are data, not code. */
@Injectable()
export class CreditSettings {
  constructor(private readonly settings: SystemConfigService) {}

  async tierConfig(tx?: Tx): Promise<TierConfig> {
    const [priority, responderModels, classifierModel] = await this.settings.requireMany(TIER_SETTINGS, tx);
    return { priority, responderModels, classifierModel };
  }

  /** The same from the settings cached at `version` (the current one, read by the caller's query). */
  async tierConfigAt(version: string): Promise<TierConfig> {
    const [priority, responderModels, classifierModel] = await this.settings.cachedAt(version, TIER_SETTINGS);
    return { priority, responderModels, classifierModel };
  }

  /** UnknownAssetError unless `asset` is a configured tier. */
  async requireAsset(asset: string, tx?: Tx): Promise<void> {
    const priority = await this.settings.require('credit_tier_priority', tx);
    if (!priority.includes(asset)) throw new UnknownAssetError(asset);
  }

  grantExpiryDays(tx?: Tx): Promise<number> {
    return this.settings.require('grant_default_expiry_days', tx);
  }

  coolingDays(tx?: Tx): Promise<number> {
    return this.settings.require('email_eligibility_cooling_days', tx);
  }

  async referralCredit(tx?: Tx): Promise<{ asset: string; amount: bigint }> {
    const [asset, amount] = await this.settings.requireMany(['referral_credit_asset', 'referral_credit_amount'] as const, tx);
    return { asset, amount: BigInt(amount) };
  }
}
