import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Refunds (DESIGN.md "Authorizations and refunds"): staff refund a charge — a turn's stages, an
 * LLM call, a captured authorization — whole or in part, with `reversal` flows system:consumed →
 * payer. One row per reversal flow names the `consumption` flow it gives back, so what is left to
 * refund of a charge is its amount minus its rows (never more in total, whatever the requests).
 */
export class CreateRefunds1764820003000 implements MigrationInterface {
  name = 'CreateRefunds1764820003000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE credit.refunds (
        flow_id         bigint PRIMARY KEY,
        refund_id       uuid NOT NULL,
        charge_flow_id  bigint NOT NULL,
        amount          bigint NOT NULL CHECK (amount > 0),
        created_at      timestamptz NOT NULL
      )`);
    await q.query('CREATE INDEX refunds_charge_idx ON credit.refunds (charge_flow_id)');
    await q.query('CREATE INDEX refunds_refund_idx ON credit.refunds (refund_id)');
  }

  async down(q: QueryRunner): Promise<void> {
    const made: { signature: string }[] = await q.query(
      `SELECT p.oid::regprocedure::text AS signature FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = 'credit' AND p.proname = 'refund_charges'`,
    );
    for (const { signature } of made) await q.query(`DROP FUNCTION ${signature}`);
    await q.query(`DELETE FROM function_files WHERE file = 'refund_charges.sql'`);
    await q.query('DROP TABLE credit.refunds');
  }
}
