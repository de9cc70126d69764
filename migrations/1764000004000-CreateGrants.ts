import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateGrants1764000004000 implements MigrationInterface {
  name = 'CreateGrants1764000004000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE credit.grants (
        id                   uuid PRIMARY KEY,
        asset                text NOT NULL,
        kind                 text NOT NULL CHECK (kind IN ('welcome', 'promo', 'referral', 'manual')),
        amount               bigint NOT NULL CHECK (amount > 0),
        recipient_email      text NOT NULL,
        email_hash           text NOT NULL,
        normalized_hash      text NOT NULL,
        token_hash           bytea NOT NULL, -- SHA-256 of the claim token; the token itself is never stored
        status               text NOT NULL CHECK (status IN ('issued', 'claimed', 'revoked')), -- 'expired' is derived
        expires_at           timestamptz NOT NULL,
        issued_by            uuid REFERENCES persons (id),
        referrer_person_id   uuid REFERENCES persons (id),
        claimed_by_person_id uuid REFERENCES persons (id),
        claimed_at           timestamptz,
        revoked_at           timestamptz,
        metadata             jsonb NOT NULL DEFAULT '{}'::jsonb,
        created_at           timestamptz NOT NULL,
        CHECK ((status = 'claimed') = (claimed_by_person_id IS NOT NULL AND claimed_at IS NOT NULL))
      )`);
    await q.query('CREATE UNIQUE INDEX grants_token_hash_key ON credit.grants (token_hash)');
    await q.query('CREATE INDEX grants_email_hash_idx ON credit.grants (email_hash)');
    await q.query('CREATE INDEX grants_normalized_hash_idx ON credit.grants (normalized_hash)');
    await q.query('CREATE INDEX grants_created_idx ON credit.grants (created_at DESC, id DESC)');
    await q.query('ALTER TABLE credit.flows ADD CONSTRAINT flows_grant_fkey FOREIGN KEY (grant_id) REFERENCES credit.grants (id)');

    await q.query(`
      CREATE TABLE credit.email_grant_registry (
        email_hash      text PRIMARY KEY,
        normalized_hash text NOT NULL,
        person_id       uuid REFERENCES persons (id),
        last_grant_id   uuid REFERENCES credit.grants (id),
        deleted_at      timestamptz, -- an account with this address was deleted: the cooling window starts here
        created_at      timestamptz NOT NULL,
        updated_at      timestamptz NOT NULL
      )`);
    await q.query('CREATE INDEX email_grant_registry_normalized_idx ON credit.email_grant_registry (normalized_hash)');
    await q.query('CREATE INDEX email_grant_registry_person_idx ON credit.email_grant_registry (person_id)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE credit.email_grant_registry');
    await q.query('ALTER TABLE credit.flows DROP CONSTRAINT flows_grant_fkey');
    await q.query('DROP TABLE credit.grants');
  }
}
