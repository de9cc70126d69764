import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Payers (DESIGN.md "Spend limits and team pools"): a hold is paid by a party — the person
 * (`person:<id>`) or a team engagement's pool (`engagement:<id>`) — while `person_id` stays the
 * person whose turn or call it is (their account status and turns in flight still apply).
 * Every hold placed so far was paid by its person.
 */
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const OLD_PARTY = `'^(person:${UUID}|system:(issuer|consumed|void|held))$'`;
/** a team pool is a party of the ledger like a person */
const PARTY = `'^((person|engagement):${UUID}|system:(issuer|consumed|void|held))$'`;

export class PoolPayers1764700000000 implements MigrationInterface {
  name = 'PoolPayers1764700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE credit.holds ADD COLUMN payer text');
    await q.query(`UPDATE credit.holds SET payer = 'person:' || person_id`);
    await q.query('ALTER TABLE credit.holds ALTER COLUMN payer SET NOT NULL');
    await q.query(`CREATE INDEX holds_payer_active_idx ON credit.holds (payer, asset) WHERE status = 'active'`);
    await q.query(`
      ALTER TABLE credit.flows
        DROP CONSTRAINT flows_from_party_check, ADD CONSTRAINT flows_from_party_check CHECK (from_party ~ ${PARTY}),
        DROP CONSTRAINT flows_to_party_check, ADD CONSTRAINT flows_to_party_check CHECK (to_party ~ ${PARTY})`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE credit.flows
        DROP CONSTRAINT flows_from_party_check, ADD CONSTRAINT flows_from_party_check CHECK (from_party ~ ${OLD_PARTY}),
        DROP CONSTRAINT flows_to_party_check, ADD CONSTRAINT flows_to_party_check CHECK (to_party ~ ${OLD_PARTY})`);
    await q.query('DROP INDEX credit.holds_payer_active_idx');
    await q.query('ALTER TABLE credit.holds DROP COLUMN payer');
  }
}
