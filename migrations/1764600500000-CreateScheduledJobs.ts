import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The one scheduler's state (libs/database/src/scheduler.ts): per job, when it last started and
 * who holds its lease. A run is claimed by one UPDATE of its row, so any number of instances (and
 * a transaction-mode pooler) share the schedule without session state.
 */
export class CreateScheduledJobs1764600500000 implements MigrationInterface {
  name = 'CreateScheduledJobs1764600500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE scheduled_jobs (
        name             text PRIMARY KEY,
        last_started_at  timestamptz NOT NULL,
        last_finished_at timestamptz,
        lease_token      uuid,
        lease_until      timestamptz
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE scheduled_jobs');
  }
}
