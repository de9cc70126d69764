import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The double-entry ledger. `flows` is append-only (the database refuses UPDATE, DELETE and
 * TRUNCATE); `balances` is maintained only by the AFTER INSERT trigger.
 *
 * Hot rows: every flow touches a system party (system:issuer / consumed / void). A single balance
 * row per system party would make all persons' writes queue on its row lock, so system parties are
 * spread over SYSTEM_SLOTS rows chosen from the flow's person id; a party's balance is the sum of
 * its slots. Person parties always use slot 0 (one person's writes serialize anyway).
 *
 * History: the functions this migration created are defined today by their files in
 * libs/credit/src/persistence/sql (one file per function, applied on every start when changed);
 * the bodies below are what this migration did, not what the database runs.
 */
const SYSTEM_SLOTS = 64;
const PARTY = `'^(person:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|system:(issuer|consumed|void))$'`;

export class CreateCreditLedger1764000003000 implements MigrationInterface {
  name = 'CreateCreditLedger1764000003000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('CREATE SCHEMA credit');
    await q.query(`
      CREATE TABLE credit.flows (
        id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        kind            text NOT NULL CHECK (kind IN ('issuance', 'consumption', 'zeroing', 'referral', 'adjustment', 'reversal')),
        asset           text NOT NULL CHECK (asset ~ '^[a-z0-9][a-z0-9._-]*$'),
        amount          bigint NOT NULL CHECK (amount > 0),
        from_party      text NOT NULL CHECK (from_party ~ ${PARTY}),
        to_party        text NOT NULL CHECK (to_party ~ ${PARTY}),
        person_id       uuid REFERENCES persons (id),
        grant_id        uuid,
        idempotency_key text,
        metadata        jsonb NOT NULL DEFAULT '{}'::jsonb,
        created_at      timestamptz NOT NULL
      )`);
    await q.query('CREATE UNIQUE INDEX flows_idempotency_key ON credit.flows (idempotency_key) WHERE idempotency_key IS NOT NULL');
    await q.query('CREATE INDEX flows_person_idx ON credit.flows (person_id, id DESC)');

    await q.query(`
      CREATE TABLE credit.balances (
        party  text NOT NULL,
        asset  text NOT NULL,
        slot   smallint NOT NULL,
        amount bigint NOT NULL,
        PRIMARY KEY (party, asset, slot)
      )`);

    await q.query(`
      CREATE FUNCTION credit.balance_slot(party text, person_id uuid) RETURNS smallint
      LANGUAGE sql IMMUTABLE AS $$
        SELECT CASE
          WHEN party LIKE 'person:%' OR person_id IS NULL THEN 0
          ELSE (abs(hashtextextended(person_id::text, 0)) % ${SYSTEM_SLOTS})::smallint
        END
      $$`);
    // Person side first, then system side: every transaction takes row locks in the same order,
    // so opposite-direction flows of one person (claim vs. negative adjustment) cannot deadlock.
    await q.query(`
      CREATE FUNCTION credit.apply_flow() RETURNS trigger
      LANGUAGE plpgsql AS $$
      DECLARE
        first_party text := CASE WHEN NEW.to_party LIKE 'person:%' THEN NEW.to_party ELSE NEW.from_party END;
        second_party text := CASE WHEN NEW.to_party LIKE 'person:%' THEN NEW.from_party ELSE NEW.to_party END;
      BEGIN
        INSERT INTO credit.balances AS b (party, asset, slot, amount)
          VALUES (first_party, NEW.asset, credit.balance_slot(first_party, NEW.person_id),
                  CASE WHEN first_party = NEW.to_party THEN NEW.amount ELSE -NEW.amount END)
          ON CONFLICT (party, asset, slot) DO UPDATE SET amount = b.amount + EXCLUDED.amount;
        INSERT INTO credit.balances AS b (party, asset, slot, amount)
          VALUES (second_party, NEW.asset, credit.balance_slot(second_party, NEW.person_id),
                  CASE WHEN first_party = NEW.to_party THEN -NEW.amount ELSE NEW.amount END)
          ON CONFLICT (party, asset, slot) DO UPDATE SET amount = b.amount + EXCLUDED.amount;
        RETURN NULL;
      END
      $$`);
    await q.query('CREATE TRIGGER flows_apply AFTER INSERT ON credit.flows FOR EACH ROW EXECUTE FUNCTION credit.apply_flow()');

    await q.query(`
      CREATE FUNCTION credit.refuse_flow_change() RETURNS trigger
      LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'credit.flows is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
      END
      $$`);
    await q.query(`
      CREATE TRIGGER flows_append_only BEFORE UPDATE OR DELETE ON credit.flows
        FOR EACH ROW EXECUTE FUNCTION credit.refuse_flow_change()`);
    await q.query(`
      CREATE TRIGGER flows_no_truncate BEFORE TRUNCATE ON credit.flows
        FOR EACH STATEMENT EXECUTE FUNCTION credit.refuse_flow_change()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE credit.balances');
    await q.query('DROP TABLE credit.flows');
    await q.query('DROP FUNCTION credit.refuse_flow_change()');
    await q.query('DROP FUNCTION credit.apply_flow()');
    await q.query('DROP FUNCTION IF EXISTS credit.balance_slot(text, uuid)');
    await q.query('DROP SCHEMA credit');
  }
}
