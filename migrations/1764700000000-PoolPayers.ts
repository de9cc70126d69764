import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Payers (DESIGN.md "Spend limits and team pools"): a hold is paid by a party — the person
 * (`person:<id>`) or a team engagement's pool (`engagement:<id>`) — while `person_id` stays the
 * person whose turn or call it is (their account status and turns in flight still apply).
 * Every hold placed so far was paid by its person.
 */
export class PoolPayers1764700000000 implements MigrationInterface {
  name = 'PoolPayers1764700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE credit.holds ADD COLUMN payer text');
    await q.query(`UPDATE credit.holds SET payer = 'person:' || person_id`);
    await q.query('ALTER TABLE credit.holds ALTER COLUMN payer SET NOT NULL');
    await q.query(`CREATE INDEX holds_payer_active_idx ON credit.holds (payer, asset) WHERE status = 'active'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX credit.holds_payer_active_idx');
    await q.query('ALTER TABLE credit.holds DROP COLUMN payer');
  }
}
