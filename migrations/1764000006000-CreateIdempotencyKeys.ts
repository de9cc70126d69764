import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Replays of requests sent with an Idempotency-Key: the first response, per scope and key. */
export class CreateIdempotencyKeys1764000006000 implements MigrationInterface {
  name = 'CreateIdempotencyKeys1764000006000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE idempotency_keys (
        scope        text NOT NULL, -- e.g. 'me.claims:<person id>': a key is only ever compared within its scope
        key          text NOT NULL,
        request_hash text NOT NULL,
        response     jsonb NOT NULL,
        created_at   timestamptz NOT NULL,
        PRIMARY KEY (scope, key)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE idempotency_keys');
  }
}
