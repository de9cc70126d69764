import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateSystemConfig1764000000000 implements MigrationInterface {
  name = 'CreateSystemConfig1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE system_config (
        key        text PRIMARY KEY,
        value      text NOT NULL, -- a Fernet token of the JSON value, under LOOMWORKS_SECRET_KEY
        updated_at timestamptz NOT NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE system_config');
  }
}
