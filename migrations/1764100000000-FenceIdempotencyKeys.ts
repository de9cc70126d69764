import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Fencing for Idempotency-Key claims held across an LLM call: each claim gets its own token and
 * a deadline. Only the holder of the current token may complete or abandon the record, and a
 * later request may take the key over only after the deadline — so a slow first request can no
 * longer commit once a retry owns the key (its completion finds another token and rolls back).
 */
export class FenceIdempotencyKeys1764100000000 implements MigrationInterface {
  name = 'FenceIdempotencyKeys1764100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE idempotency_keys ADD COLUMN claim_token uuid, ADD COLUMN locked_until timestamptz');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE idempotency_keys DROP COLUMN claim_token, DROP COLUMN locked_until');
  }
}
