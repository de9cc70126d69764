import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A registration started from a grant's claim link remembers which link (its token's hash): it
 * completes only with that link, still valid, so revoking or re-issuing the grant ends it
 * (DESIGN: Links that die stay dead).
 */
export class SignupClaimLinks1764700100000 implements MigrationInterface {
  name = 'SignupClaimLinks1764700100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE signup_registrations ADD COLUMN claim_token_hash bytea');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE signup_registrations DROP COLUMN claim_token_hash');
  }
}
