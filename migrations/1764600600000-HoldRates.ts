import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A hold records the rate rows it was sized at (DESIGN.md "Converse pipeline" 6): its stages are
 * priced at exactly those rows when it settles, so a rate change mid-turn can't make the charge
 * exceed the hold. Holds placed before this column existed (NULL) are priced at the rates in
 * force when they were placed.
 */
export class HoldRates1764600600000 implements MigrationInterface {
  name = 'HoldRates1764600600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE credit.holds ADD COLUMN rate_ids bigint[]');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE credit.holds DROP COLUMN rate_ids');
  }
}
