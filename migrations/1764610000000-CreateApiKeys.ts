import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * API keys of persons for the Messages API (DESIGN.md "The Messages API and API keys"). Only the
 * key's SHA-256 is stored (the key is shown once); `prefix` is its first characters, to tell keys
 * apart in lists. The optional engagement (its pool pays) and limit are stored here; the pools
 * issue enforces them. A revoked key keeps its row (calls in the log refer to it).
 */
export class CreateApiKeys1764610000000 implements MigrationInterface {
  name = 'CreateApiKeys1764610000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE api_keys (
        id            uuid PRIMARY KEY,
        person_id     uuid NOT NULL REFERENCES persons (id),
        name          text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
        prefix        text NOT NULL,
        key_sha256    bytea NOT NULL UNIQUE CHECK (octet_length(key_sha256) = 32),
        engagement_id uuid REFERENCES engagements (id),
        limit_amount  bigint CHECK (limit_amount BETWEEN 1 AND 9007199254740991),
        limit_period  text CHECK (limit_period IN ('day', 'week', 'month')),
        created_at    timestamptz NOT NULL,
        last_used_at  timestamptz,
        revoked_at    timestamptz,
        CHECK ((limit_amount IS NULL) = (limit_period IS NULL))
      )`);
    await q.query('CREATE INDEX api_keys_person_live_idx ON api_keys (person_id, created_at DESC, id) WHERE revoked_at IS NULL');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE api_keys');
  }
}
