import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tamper evidence (DESIGN.md): `seals` is a hash chain over the flows. Seal n covers the flows
 * with ids in (from_flow_id, to_flow_id] — the ranges are contiguous, seal n starting where seal
 * n − 1 ended — and its hash is SHA-256 over seal n − 1's hash and the canonical line of each
 * flow in id order (README "Auditing the ledger"). Seal ids are 1, 2, 3, … without gaps, so a
 * removed seal shows as a break in the chain. Like flows, seals are append-only.
 *
 * `seal_checks` is where the reconciler's seal recomputation got to: every seal up to
 * `through_seal_id` was checked once, and the rotating slice of older seals starts next at
 * `rotation_seal_id`.
 *
 * The sealer takes the flows' sequence value as a horizon; that is only sound with CACHE 1 (the
 * identity default), so a backend never draws an id it reserved earlier.
 */
export class CreateSeals1764730000000 implements MigrationInterface {
  name = 'CreateSeals1764730000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE credit.seals (
        id            bigint PRIMARY KEY CHECK (id > 0),
        from_flow_id  bigint NOT NULL,
        to_flow_id    bigint NOT NULL CHECK (to_flow_id > from_flow_id),
        flows         integer NOT NULL CHECK (flows >= 0),
        hash          text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
        sealed_at     timestamptz NOT NULL
      )`);
    await q.query('CREATE UNIQUE INDEX seals_to_flow_idx ON credit.seals (to_flow_id)');
    // The flows' refusal (function file refuse_flow_change.sql) names the table it guards.
    await q.query(`
      CREATE TRIGGER seals_append_only BEFORE UPDATE OR DELETE ON credit.seals
        FOR EACH ROW EXECUTE FUNCTION credit.refuse_flow_change()`);
    await q.query(`
      CREATE TRIGGER seals_no_truncate BEFORE TRUNCATE ON credit.seals
        FOR EACH STATEMENT EXECUTE FUNCTION credit.refuse_flow_change()`);
    await q.query(`
      CREATE TABLE credit.seal_checks (
        singleton        boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        through_seal_id  bigint NOT NULL DEFAULT 0,
        rotation_seal_id bigint NOT NULL DEFAULT 1
      )`);
    await q.query('INSERT INTO credit.seal_checks DEFAULT VALUES');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE credit.seal_checks');
    await q.query('DROP TABLE credit.seals');
  }
}
