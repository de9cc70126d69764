import type { MigrationInterface, QueryRunner } from 'typeorm';
import { sealSetting } from './1764400002000-SeedOperationsSettings';

/**
 * The longest an authorization may stay open before the sweep releases it (DESIGN.md
 * "Authorizations and refunds"), seeded 3600 s. Written here, not read from the app's defaults,
 * so the migration means the same thing forever; ON CONFLICT DO NOTHING keeps a tuned value.
 */
export class SeedAuthorizationMaxSeconds1764820002000 implements MigrationInterface {
  name = 'SeedAuthorizationMaxSeconds1764820002000';

  async up(q: QueryRunner): Promise<void> {
    const now = new Date();
    await q.query('INSERT INTO system_config (key, value, updated_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING', [
      'authorization_max_seconds',
      sealSetting(process.env.LOOMWORKS_SECRET_KEY, JSON.stringify(3600), now),
      now,
    ]);
  }

  /** Deliberately keeps the row: reverting must not throw away a value an operator tuned. */
  async down(): Promise<void> {}
}
