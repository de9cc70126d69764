import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Idempotency records expire after 24 h; the housekeeping finds the old ones by age. */
export class IndexIdempotencyKeyAge1764200000000 implements MigrationInterface {
  name = 'IndexIdempotencyKeyAge1764200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('CREATE INDEX idempotency_keys_created_at_idx ON idempotency_keys (created_at)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX idempotency_keys_created_at_idx');
  }
}
