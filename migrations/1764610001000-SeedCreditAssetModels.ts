import type { MigrationInterface, QueryRunner } from 'typeorm';
import { sealSetting } from './1764100002000-SeedHoldSettings';

/**
 * credit_asset_models (DESIGN.md "The Messages API"): which models each credit asset may pay for
 * on /v1/messages — opus pays for every model, sonnet for sonnet and haiku, haiku only for haiku.
 * Written here, not read from the app's defaults, so the migration means the same thing forever;
 * ON CONFLICT DO NOTHING keeps an operator's value.
 */
const HAIKU = 'claude-haiku-4-5-20251001';
const SONNET = 'claude-sonnet-4-6';
const OPUS = 'claude-opus-4-7';
const CREDIT_ASSET_MODELS = { haiku: [HAIKU], sonnet: [HAIKU, SONNET], opus: [HAIKU, SONNET, OPUS] };

export class SeedCreditAssetModels1764610001000 implements MigrationInterface {
  name = 'SeedCreditAssetModels1764610001000';

  async up(q: QueryRunner): Promise<void> {
    const now = new Date();
    await q.query('INSERT INTO system_config (key, value, updated_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING', [
      'credit_asset_models',
      sealSetting(process.env.LOOMWORKS_SECRET_KEY, JSON.stringify(CREDIT_ASSET_MODELS), now),
      now,
    ]);
  }

  /** Deliberately keeps the row: reverting must not throw away a value an operator tuned. */
  async down(): Promise<void> {}
}
