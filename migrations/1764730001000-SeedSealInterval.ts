import type { MigrationInterface, QueryRunner } from 'typeorm';
import { sealSetting } from './1764400002000-SeedOperationsSettings';

/**
 * How old a flow may get before a seal covers it (DESIGN.md "Tamper evidence"). Written here,
 * not read from the app's defaults, so the migration means the same thing forever; ON CONFLICT
 * DO NOTHING keeps a value an operator already tuned.
 */
export class SeedSealInterval1764730001000 implements MigrationInterface {
  name = 'SeedSealInterval1764730001000';

  async up(q: QueryRunner): Promise<void> {
    const now = new Date();
    await q.query('INSERT INTO system_config (key, value, updated_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING', [
      'seal_interval_seconds',
      sealSetting(process.env.LOOMWORKS_SECRET_KEY, JSON.stringify(60), now),
      now,
    ]);
  }

  /** Deliberately keeps the row: reverting must not throw away a value an operator tuned. */
  async down(): Promise<void> {}
}
