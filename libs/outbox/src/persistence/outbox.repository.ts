import { Injectable } from '@nestjs/common';
import type { Tx } from '@loomworks/database';
import type { JobStatus, JobView, KindBacklog, OutboxBacklog, OutboxEvent } from '../domain/jobs';

interface JobRow {
  id: string;
  kind: string;
  status: JobStatus;
  payload_encrypted: string | null;
  summary: Record<string, unknown>;
  attempts: number;
  last_error: string | null;
  created_at: Date;
  finished_at: Date | null;
}

/** TypeORM answers UPDATE … RETURNING with [rows, count]. */
const updatedCount = (result: [unknown[], number]): number => result[1];

const toJobView = (r: JobRow): JobView => ({
  id: r.id,
  kind: r.kind,
  status: r.status,
  summary: r.summary,
  attempts: r.attempts,
  lastError: r.last_error,
  createdAt: r.created_at,
  finishedAt: r.finished_at,
});

/** The outbox tables' SQL. Every state change of a claimed job is fenced by its attempt number. */
@Injectable()
export class OutboxRepository {
  async insertJob(
    tx: Tx,
    j: { id: string; kind: string; payloadEncrypted: string; summary: Record<string, unknown>; runAt: Date; now: Date },
  ): Promise<void> {
    await tx.query(
      `INSERT INTO outbox_jobs (id, kind, payload_encrypted, summary, run_at, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
      [j.id, j.kind, j.payloadEncrypted, j.summary, j.runAt, j.now],
    );
  }

  async insertEvent(tx: Tx, e: OutboxEvent): Promise<void> {
    await tx.query('INSERT INTO events (id, type, "timestamp", data) VALUES ($1, $2, $3, $4)', [e.id, e.type, e.timestamp, e.data]);
  }

  listEvents(tx: Tx, q: { type?: string; limit: number; after?: { timestamp: Date; id: string } }): Promise<OutboxEvent[]> {
    return tx.query(
      `SELECT id, type, "timestamp", data FROM events
        WHERE ($1::text IS NULL OR type = $1) AND ($3::timestamptz IS NULL OR ("timestamp", id) < ($3, $4::uuid))
        ORDER BY "timestamp" DESC, id DESC LIMIT $2`,
      [q.type ?? null, q.limit, q.after?.timestamp ?? null, q.after?.id ?? null],
    );
  }

  /**
   * Claims up to `limit` due jobs: SKIP LOCKED lets any number of workers claim at once without
   * waiting on or double-taking each other's rows; pushing `run_at` forward by the lease hides the
   * job from other workers after this statement commits, and brings it back if this worker dies.
   * Counting the attempt at claim time means a job that crashes its worker still runs out of attempts.
   */
  async claimDue(tx: Tx, now: Date, leaseUntil: Date, limit: number, kinds: string[]): Promise<(JobRow & { payload_encrypted: string })[]> {
    return (
      await tx.query(
        `UPDATE outbox_jobs j SET run_at = $2, attempts = j.attempts + 1
          WHERE j.id IN (
            SELECT id FROM outbox_jobs
             WHERE status = 'pending' AND run_at <= $1 AND kind = ANY($4)
             ORDER BY run_at
             LIMIT $3
             FOR UPDATE SKIP LOCKED)
          RETURNING j.*`,
        [now, leaseUntil, limit, kinds],
      )
    )[0];
  }

  /** Finishes a job (sent or given up) and erases its payload; false when the claim went stale. */
  async finish(tx: Tx, id: string, attempt: number, status: 'sent' | 'failed', error: string | null, now: Date): Promise<boolean> {
    const result = await tx.query(
      `UPDATE outbox_jobs SET status = $3, payload_encrypted = NULL, last_error = COALESCE($4, last_error), finished_at = $5
        WHERE id = $1 AND attempts = $2 AND status = 'pending'`,
      [id, attempt, status, error, now],
    );
    return updatedCount(result) === 1;
  }

  async reschedule(tx: Tx, id: string, attempt: number, runAt: Date, error: string): Promise<boolean> {
    const result = await tx.query(
      `UPDATE outbox_jobs SET run_at = $3, last_error = $4 WHERE id = $1 AND attempts = $2 AND status = 'pending'`,
      [id, attempt, runAt, error],
    );
    return updatedCount(result) === 1;
  }

  async listJobs(
    tx: Tx,
    q: { kind: string; status?: JobStatus; limit: number; after?: { createdAt: Date; id: string } },
  ): Promise<JobView[]> {
    const params: unknown[] = [q.kind, q.limit];
    let where = 'kind = $1';
    if (q.status) {
      params.push(q.status);
      where += ` AND status = $${params.length}`;
    }
    if (q.after) {
      params.push(q.after.createdAt, q.after.id);
      where += ` AND (created_at, id) < ($${params.length - 1}, $${params.length})`;
    }
    const rows: JobRow[] = await tx.query(
      `SELECT id, kind, status, summary, attempts, last_error, created_at, finished_at FROM outbox_jobs
        WHERE ${where} ORDER BY created_at DESC, id DESC LIMIT $2`,
      params,
    );
    return rows.map(toJobView);
  }

  /** backlog() per kind, for the kinds that have pending jobs. */
  async backlogByKind(tx: Tx, now: Date): Promise<KindBacklog[]> {
    const rows: { kind: string; pending: number; oldest_age: number; overdue: number | null }[] = await tx.query(
      `SELECT kind, count(*)::int AS pending,
              extract(epoch FROM $1::timestamptz - min(created_at))::float8 AS oldest_age,
              extract(epoch FROM $1::timestamptz - min(run_at) FILTER (WHERE run_at <= $1))::float8 AS overdue
         FROM outbox_jobs WHERE status = 'pending' GROUP BY kind`,
      [now],
    );
    const seconds = (s: number | null) => Math.max(0, Math.floor(s ?? 0));
    return rows.map((r) => ({ kind: r.kind, pending: r.pending, oldestAgeSeconds: seconds(r.oldest_age), overdueSeconds: seconds(r.overdue) }));
  }

  /**
   * Pending jobs, the age of the oldest, and how long the most overdue one has been due without
   * a worker taking it (a claimed job's run_at is its lease end, so work in progress is not overdue).
   */
  async backlog(tx: Tx, now: Date): Promise<OutboxBacklog> {
    const rows: { pending: string; oldest: Date | null; overdue_since: Date | null }[] = await tx.query(
      `SELECT count(*) AS pending, min(created_at) AS oldest, min(run_at) FILTER (WHERE run_at <= $1) AS overdue_since
         FROM outbox_jobs WHERE status = 'pending'`,
      [now],
    );
    const secondsSince = (at: Date | null) => (at ? Math.max(0, Math.floor((now.getTime() - at.getTime()) / 1000)) : 0);
    return { pending: Number(rows[0].pending), oldestAgeSeconds: secondsSince(rows[0].oldest), overdueSeconds: secondsSince(rows[0].overdue_since) };
  }
}
