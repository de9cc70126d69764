import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Authorizations (DESIGN.md "Authorizations and refunds"): another service's hold on a person's
 * or a team pool's credit. The money is an ordinary hold (credit.holds, same id, a `hold` flow),
 * settled by a capture (release + `consumption`) or ended by a void or the expiry sweep; this row
 * keeps what the hold doesn't: who placed it, the captured amount and the authorization's status.
 * A pool's authorization has no person, so a hold's person becomes optional (a turn's and a
 * request's hold still name theirs).
 */
export class CreateAuthorizations1764820001000 implements MigrationInterface {
  name = 'CreateAuthorizations1764820001000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE credit.holds ALTER COLUMN person_id DROP NOT NULL');
    await q.query(`
      CREATE TABLE credit.authorizations (
        id              uuid PRIMARY KEY REFERENCES credit.holds (id),
        service_key_id  uuid NOT NULL,
        person_id       uuid REFERENCES persons (id),
        engagement_id   uuid REFERENCES engagements (id),
        payer           text NOT NULL,
        asset           text NOT NULL,
        amount          bigint NOT NULL CHECK (amount > 0),
        captured        bigint CHECK (captured >= 0 AND captured <= amount),
        status          text NOT NULL CHECK (status IN ('active', 'captured', 'voided', 'expired')),
        expires_at      timestamptz NOT NULL,
        metadata        jsonb NOT NULL DEFAULT '{}'::jsonb,
        created_at      timestamptz NOT NULL,
        ended_at        timestamptz,
        CHECK ((person_id IS NULL) <> (engagement_id IS NULL)),
        CHECK ((status = 'captured') = (captured IS NOT NULL))
      )`);
    await q.query(`CREATE INDEX authorizations_expiry_idx ON credit.authorizations (expires_at) WHERE status = 'active'`);
  }

  async down(q: QueryRunner): Promise<void> {
    // The function files that use the table go first; their checksum rows too, so the next start applies them again.
    const files = ['authorize', 'lock_authorization', 'capture_authorization', 'end_authorization'];
    const made: { signature: string }[] = await q.query(
      `SELECT p.oid::regprocedure::text AS signature FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = 'credit' AND p.proname = ANY ($1)`,
      [files],
    );
    for (const { signature } of made) await q.query(`DROP FUNCTION ${signature}`);
    await q.query('DELETE FROM function_files WHERE file = ANY ($1)', [files.map((f) => `${f}.sql`)]);
    await q.query('DROP TABLE credit.authorizations');
    await q.query('DELETE FROM credit.holds WHERE person_id IS NULL');
    await q.query('ALTER TABLE credit.holds ALTER COLUMN person_id SET NOT NULL');
  }
}
