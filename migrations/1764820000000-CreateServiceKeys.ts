import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Service keys (DESIGN.md "Authorizations and refunds"): staff create them for another service
 * of the operator, which authorizes and captures credit with them (scope `credit:authorize`).
 * Only the key's SHA-256 is stored (the key is shown once); `prefix` tells keys apart in lists.
 * A revoked key keeps its row: the authorizations it placed refer to it.
 */
export class CreateServiceKeys1764820000000 implements MigrationInterface {
  name = 'CreateServiceKeys1764820000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE service_keys (
        id            uuid PRIMARY KEY,
        name          text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
        prefix        text NOT NULL,
        key_sha256    bytea NOT NULL UNIQUE CHECK (octet_length(key_sha256) = 32),
        scope         text NOT NULL CHECK (scope IN ('credit:authorize')),
        created_by    uuid NOT NULL REFERENCES persons (id),
        created_at    timestamptz NOT NULL,
        last_used_at  timestamptz,
        revoked_at    timestamptz
      )`);
    await q.query('CREATE INDEX service_keys_live_idx ON service_keys (created_at DESC, id) WHERE revoked_at IS NULL');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE service_keys');
  }
}
