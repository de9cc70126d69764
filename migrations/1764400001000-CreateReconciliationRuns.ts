import type { MigrationInterface, QueryRunner } from 'typeorm';

/** One row per reconciler run (scheduled or on demand) with what it found. */
export class CreateReconciliationRuns1764400001000 implements MigrationInterface {
  name = 'CreateReconciliationRuns1764400001000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE reconciliation_runs (
        id          uuid PRIMARY KEY,
        trigger     text NOT NULL CHECK (trigger IN ('schedule', 'manual')),
        started_at  timestamptz NOT NULL,
        finished_at timestamptz NOT NULL,
        ok          boolean NOT NULL,
        findings    jsonb NOT NULL DEFAULT '[]'::jsonb
      )`);
    await q.query('CREATE INDEX reconciliation_runs_started_idx ON reconciliation_runs (started_at DESC)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE reconciliation_runs');
  }
}
