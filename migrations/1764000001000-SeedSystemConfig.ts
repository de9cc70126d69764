import type { MigrationInterface, QueryRunner } from 'typeorm';
import { secretKeyFromEnv } from '@loomworks/config';
import { fernetEncrypt, parseFernetKey } from '@loomworks/system-config';

/**
 * The settings every installation starts with. Values are written here, not read from the
 * app's defaults, so this migration means the same thing forever. ON CONFLICT DO NOTHING keeps
 * operator-tuned values when it runs again.
 */
const SEEDS: Record<string, unknown> = {
  converse_default_classifier_model: 'claude-haiku-4-5-20251001',
  converse_default_responder_model: 'claude-sonnet-4-6',
  credit_tier_priority: ['opus', 'sonnet', 'haiku'],
  credit_tier_responder_models: {
    haiku: 'claude-haiku-4-5-20251001',
    sonnet: 'claude-sonnet-4-6',
    opus: 'claude-opus-4-7',
  },
  grant_default_expiry_days: 30,
  email_eligibility_cooling_days: 90,
  referral_credit_asset: 'haiku',
  referral_credit_amount: 500,
  session_ttl_hours: 336,
};

export class SeedSystemConfig1764000001000 implements MigrationInterface {
  name = 'SeedSystemConfig1764000001000';

  async up(q: QueryRunner): Promise<void> {
    const key = parseFernetKey(secretKeyFromEnv(process.env));
    const now = new Date();
    for (const [name, value] of Object.entries(SEEDS)) {
      await q.query(
        'INSERT INTO system_config (key, value, updated_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING',
        [name, fernetEncrypt(key, JSON.stringify(value), { now }), now],
      );
    }
  }

  /** Deliberately keeps the rows: reverting must not throw away values an operator tuned. */
  async down(): Promise<void> {}
}
