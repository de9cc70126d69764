import type { MigrationInterface, QueryRunner } from 'typeorm';
import { secretKeyFromEnv } from '@loomworks/config';
import { fernetEncrypt, parseFernetKey } from '@loomworks/system-config';

/**
 * The reconciler's interval and the per-asset low-balance thresholds. Values written here (not
 * read from the app's defaults) so this migration means the same thing forever; ON CONFLICT DO
 * NOTHING keeps values an operator already tuned.
 */
const SEEDS: Record<string, unknown> = {
  reconcile_interval_seconds: 300,
  low_balance_threshold: { haiku: 100, sonnet: 100, opus: 100 },
};

export class SeedOperationsSettings1764400002000 implements MigrationInterface {
  name = 'SeedOperationsSettings1764400002000';

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
