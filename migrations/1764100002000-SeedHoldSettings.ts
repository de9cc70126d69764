import type { MigrationInterface, QueryRunner } from 'typeorm';
import { secretKeyFromEnv } from '@loomworks/config';
import { fernetEncrypt, parseFernetKey } from '@loomworks/system-config';

/**
 * The settings of reservations (DESIGN.md "Reservations"). hold_ttl_seconds outlives the worst
 * turn of the default LLM bounds (60 s × 3 attempts × 2 stages + margin = 390 s). Written here,
 * not read from the app's defaults, so the migration means the same thing forever; ON CONFLICT
 * DO NOTHING keeps operator-tuned values.
 */
const SEEDS: Record<string, unknown> = {
  hold_ttl_seconds: 600,
  max_turns_in_flight: 4,
  converse_min_response_tokens: 256,
};

export class SeedHoldSettings1764100002000 implements MigrationInterface {
  name = 'SeedHoldSettings1764100002000';

  async up(q: QueryRunner): Promise<void> {
    const key = parseFernetKey(secretKeyFromEnv(process.env));
    const now = new Date();
    for (const [name, value] of Object.entries(SEEDS)) {
      await q.query('INSERT INTO system_config (key, value, updated_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING', [
        name,
        fernetEncrypt(key, JSON.stringify(value), { now }),
        now,
      ]);
    }
  }

  /** Deliberately keeps the rows: reverting must not throw away values an operator tuned. */
  async down(): Promise<void> {}
}
