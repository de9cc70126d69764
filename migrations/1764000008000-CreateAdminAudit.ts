import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Who did what to whom, when: one row per admin action, written in the action's transaction. */
export class CreateAdminAudit1764000008000 implements MigrationInterface {
  name = 'CreateAdminAudit1764000008000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE admin_audit (
        id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        actor_person_id uuid NOT NULL REFERENCES persons (id),
        action          text NOT NULL,
        subject_type    text NOT NULL,
        subject_id      text NOT NULL,
        details         jsonb NOT NULL DEFAULT '{}'::jsonb,
        created_at      timestamptz NOT NULL
      )`);
    await q.query('CREATE INDEX admin_audit_subject_idx ON admin_audit (subject_type, subject_id)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE admin_audit');
  }
}
