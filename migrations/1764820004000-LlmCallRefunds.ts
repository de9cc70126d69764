import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What staff refunded of a call's charge (DESIGN.md "Authorizations and refunds"): usage
 * aggregates count credits charged minus refunds, in the call's own day.
 */
export class LlmCallRefunds1764820004000 implements MigrationInterface {
  name = 'LlmCallRefunds1764820004000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE llm_calls ADD COLUMN refunded bigint NOT NULL DEFAULT 0 CHECK (refunded >= 0)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE llm_calls DROP COLUMN refunded');
  }
}
