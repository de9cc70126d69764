import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Incremental ledger verification. Flows are append-only, so the sum of the flows up to a flow
 * id that can no longer gain rows never changes: `verified_sums` keeps those sums per (party,
 * asset), and a verification reads only the flows after `through_flow_id` (see
 * LedgerCheckpointRepository for when an id is final).
 */
export class CreateLedgerCheckpoint1764400000000 implements MigrationInterface {
  name = 'CreateLedgerCheckpoint1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE credit.verified_sums (
        party text NOT NULL,
        asset text NOT NULL,
        total bigint NOT NULL,
        PRIMARY KEY (party, asset)
      )`);
    await q.query(`
      CREATE TABLE credit.verification_checkpoint (
        singleton       boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        through_flow_id bigint NOT NULL DEFAULT 0,
        flows           bigint NOT NULL DEFAULT 0
      )`);
    await q.query('INSERT INTO credit.verification_checkpoint DEFAULT VALUES');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE credit.verification_checkpoint');
    await q.query('DROP TABLE credit.verified_sums');
  }
}
