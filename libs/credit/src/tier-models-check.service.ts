import { Injectable } from '@nestjs/common';
import type { Tx } from '@loomworks/database';
import { InvalidSettingError, SystemConfigService, type SettingKey } from '@loomworks/system-config';
import { OracleService } from './oracle.service';

/** Settings that name tiers or models: a change must leave every tier routable and every model priced. */
const MODEL_SETTINGS = new Set<string>([
  'credit_tier_priority',
  'credit_tier_responder_models',
  'converse_default_classifier_model',
  'converse_default_responder_model',
] satisfies SettingKey[]);

/**
 * Credit's invariant over the tier settings: every tier has a responder model, and every model a
 * turn may call has input and output rates. A setting that broke it would fail every turn that
 * reaches it, after the LLM was paid.
 */
@Injectable()
export class TierModelsCheck {
  constructor(
    private readonly settings: SystemConfigService,
    private readonly oracle: OracleService,
  ) {}

  /** Whether a change to this setting can break the invariant. */
  concerns(key: string): boolean {
    return MODEL_SETTINGS.has(key);
  }

  /** Throws InvalidSettingError (the caller's transaction then rolls the change back) unless the invariant holds in `tx`. */
  async assertRoutableAndPriced(tx: Tx): Promise<void> {
    const [priority, responders, classifier, defaultResponder] = await this.settings.requireMany(
      ['credit_tier_priority', 'credit_tier_responder_models', 'converse_default_classifier_model', 'converse_default_responder_model'] as const,
      tx,
    );
    const rates = await this.oracle.currentRates(tx);
    const unrouted = priority.filter((asset) => !responders[asset]);
    if (unrouted.length) throw new InvalidSettingError('credit_tier_responder_models', `a model for every tier (missing: ${unrouted.join(', ')})`);
    const priced = (model: string) => ['input', 'output'].every((kind) => rates.some((r) => r.model === model && r.tokenKind === kind));
    const unpriced = [...new Set([classifier, defaultResponder, ...priority.map((a) => responders[a])])].filter((m) => !priced(m));
    if (unpriced.length) throw new InvalidSettingError('models', `priced first: no input/output rates for ${unpriced.join(', ')} (PUT /admin/rates)`);
  }
}
