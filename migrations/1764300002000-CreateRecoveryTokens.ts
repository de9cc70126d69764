import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Staff-issued account recovery links: SHA-256 of the token only, 24 h, single use; issuing a new
 * one revokes the person's earlier unused one. A recovery signup's registration names its token.
 */
export class CreateRecoveryTokens1764300002000 implements MigrationInterface {
  name = 'CreateRecoveryTokens1764300002000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE recovery_tokens (
        id          uuid PRIMARY KEY,
        person_id   uuid NOT NULL REFERENCES persons (id),
        token_hash  bytea NOT NULL UNIQUE,
        issued_by   uuid REFERENCES persons (id),
        expires_at  timestamptz NOT NULL,
        used_at     timestamptz,
        revoked_at  timestamptz,
        created_at  timestamptz NOT NULL
      )`);
    await q.query('CREATE INDEX recovery_tokens_open_idx ON recovery_tokens (person_id) WHERE used_at IS NULL AND revoked_at IS NULL');
    await q.query('ALTER TABLE signup_registrations ADD COLUMN recovery_id uuid REFERENCES recovery_tokens (id)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE signup_registrations DROP COLUMN recovery_id');
    await q.query('DROP TABLE recovery_tokens');
  }
}
