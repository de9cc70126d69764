import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The transactional outbox: `outbox_jobs` (mails, and later webhook deliveries) and `events`,
 * both written in the transaction of their cause. A job's payload is a Fernet token and is
 * erased (NULL) once the job is sent or given up; `summary` holds the few non-secret fields
 * staff may see (for a mail: recipient and template). `run_at` is when the job is next due; a
 * worker that claims a job pushes it forward by a lease, so a crashed worker's job comes back.
 */
export class CreateOutbox1764300000000 implements MigrationInterface {
  name = 'CreateOutbox1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE outbox_jobs (
        id                uuid PRIMARY KEY,
        kind              varchar(32) NOT NULL,
        status            varchar(16) NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
        payload_encrypted text,
        summary           jsonb NOT NULL DEFAULT '{}'::jsonb,
        attempts          integer NOT NULL DEFAULT 0,
        run_at            timestamptz NOT NULL,
        last_error        varchar(500),
        created_at        timestamptz NOT NULL,
        finished_at       timestamptz,
        CHECK ((status = 'pending') = (payload_encrypted IS NOT NULL))
      )`);
    // The worker's claim scans only pending jobs, oldest due first.
    await q.query(`CREATE INDEX outbox_jobs_due ON outbox_jobs (run_at) WHERE status = 'pending'`);
    await q.query('CREATE INDEX outbox_jobs_kind_listing ON outbox_jobs (kind, created_at DESC, id DESC)');
    await q.query(`
      CREATE TABLE events (
        id          uuid PRIMARY KEY,
        type        varchar(64) NOT NULL,
        "timestamp" timestamptz NOT NULL,
        data        jsonb NOT NULL
      )`);
    await q.query('CREATE INDEX events_listing ON events ("timestamp" DESC, id DESC)');
    await q.query('CREATE INDEX events_type_listing ON events (type, "timestamp" DESC, id DESC)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE events');
    await q.query('DROP TABLE outbox_jobs');
  }
}
