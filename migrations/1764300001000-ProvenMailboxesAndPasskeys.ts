import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Proven mailboxes and several passkeys per person.
 * - A plain signup while mail is on carries the HMAC of the code mailed to its address
 *   (`email_code_hash`; NULL = no code needed: claim, admin token, mail off).
 * - A registration may add a passkey to an existing person (`adding_to_person_id`) instead of
 *   creating one.
 * - Passkeys get a name people can recognise them by.
 */
export class ProvenMailboxesAndPasskeys1764300001000 implements MigrationInterface {
  name = 'ProvenMailboxesAndPasskeys1764300001000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE signup_registrations ADD COLUMN email_code_hash bytea');
    await q.query('ALTER TABLE signup_registrations ADD COLUMN adding_to_person_id uuid REFERENCES persons (id)');
    await q.query(`ALTER TABLE passkey_credentials ADD COLUMN name varchar(100) NOT NULL DEFAULT 'Passkey'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE passkey_credentials DROP COLUMN name');
    await q.query('ALTER TABLE signup_registrations DROP COLUMN adding_to_person_id');
    await q.query('ALTER TABLE signup_registrations DROP COLUMN email_code_hash');
  }
}
