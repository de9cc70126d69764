/** A job as a worker holds it after claiming it: the payload decrypted, the claim's fencing number. */
export interface ClaimedJob<P = unknown> {
  id: string;
  kind: string;
  payload: P;
  summary: Record<string, unknown>;
  /** attempts including this one; also the claim's fence: a stale claim can't finish the job */
  attempt: number;
  createdAt: Date;
}

export type JobStatus = 'pending' | 'sent' | 'failed';
export const JOB_STATUSES: readonly JobStatus[] = ['pending', 'sent', 'failed'];

/** A job as staff may see it: never its payload. */
export interface JobView {
  id: string;
  kind: string;
  status: JobStatus;
  summary: Record<string, unknown>;
  attempts: number;
  lastError: string | null;
  createdAt: Date;
  finishedAt: Date | null;
}

/** A business event (DESIGN.md "Events and webhooks"): ids and amounts in `data`, never secrets. */
export interface OutboxEvent {
  id: string;
  type: string;
  timestamp: Date;
  data: Record<string, unknown>;
}

/** The outbox's queue at a glance (metrics, the reconciler). */
/** The backlog of one job kind (what /metrics reports per kind). */
export interface KindBacklog extends OutboxBacklog {
  kind: string;
}

export interface OutboxBacklog {
  pending: number;
  /** age of the oldest pending job (it may be waiting for a scheduled retry) */
  oldestAgeSeconds: number;
  /** how long the most overdue job has been due with no worker taking it: 0 while workers keep up */
  overdueSeconds: number;
}

/** A webhook delivery (run by notifications' WebhookDeliveryHandler). */
export const WEBHOOK_JOB_KIND = 'webhook';
