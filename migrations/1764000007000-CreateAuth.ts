import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Passkey + TOTP accounts. Nothing that grants access is stored in clear: session and admin
 * tokens as SHA-256, TOTP secrets as Fernet tokens; WebAuthn challenges are single use.
 */
export class CreateAuth1764000007000 implements MigrationInterface {
  name = 'CreateAuth1764000007000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE admin_signup_tokens (
        id                uuid PRIMARY KEY,
        token_hash        bytea NOT NULL UNIQUE,
        expires_at        timestamptz NOT NULL,
        used_at           timestamptz,
        used_by_person_id uuid REFERENCES persons (id),
        created_at        timestamptz NOT NULL
      )`);
    await q.query(`
      CREATE TABLE signup_registrations (
        id                     uuid PRIMARY KEY,
        email                  text NOT NULL,
        display_name           text NOT NULL,
        user_handle            bytea NOT NULL, -- the WebAuthn user.id
        challenge              text,           -- null once a passkey response was checked against it
        admin_token_id         uuid REFERENCES admin_signup_tokens (id),
        credential_id          text,
        credential_public_key  bytea,
        credential_counter     bigint,
        credential_transports  text[],
        totp_secret_encrypted  text,
        expires_at             timestamptz NOT NULL,
        completed_at           timestamptz,
        created_at             timestamptz NOT NULL
      )`);
    await q.query(`
      CREATE TABLE passkey_credentials (
        id           text PRIMARY KEY, -- base64url credential id
        person_id    uuid NOT NULL REFERENCES persons (id),
        user_handle  bytea NOT NULL,
        public_key   bytea NOT NULL,
        counter      bigint NOT NULL,
        transports   text[] NOT NULL DEFAULT '{}',
        created_at   timestamptz NOT NULL,
        last_used_at timestamptz
      )`);
    await q.query('CREATE INDEX passkey_credentials_person_idx ON passkey_credentials (person_id)');
    await q.query(`
      CREATE TABLE totp_secrets (
        person_id        uuid PRIMARY KEY REFERENCES persons (id),
        secret_encrypted text NOT NULL,
        last_time_step   bigint NOT NULL, -- a code is accepted once: only later time steps pass
        created_at       timestamptz NOT NULL
      )`);
    await q.query(`
      CREATE TABLE login_challenges (
        id         uuid PRIMARY KEY,
        email      text NOT NULL,
        challenge  text NOT NULL,
        expires_at timestamptz NOT NULL,
        used_at    timestamptz,
        created_at timestamptz NOT NULL
      )`);
    await q.query(`
      CREATE TABLE sessions (
        id         uuid PRIMARY KEY,
        token_hash bytea NOT NULL UNIQUE,
        person_id  uuid NOT NULL REFERENCES persons (id),
        expires_at timestamptz NOT NULL,
        ended_at   timestamptz,
        created_at timestamptz NOT NULL
      )`);
    await q.query('CREATE INDEX sessions_live_person_idx ON sessions (person_id) WHERE ended_at IS NULL');
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['sessions', 'login_challenges', 'totp_secrets', 'passkey_credentials', 'signup_registrations', 'admin_signup_tokens']) {
      await q.query(`DROP TABLE ${table}`);
    }
  }
}
