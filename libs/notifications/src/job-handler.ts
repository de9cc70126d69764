import type { ClaimedJob } from '@loomworks/outbox';

/**
 * Runs one kind of outbox job. `handle` resolving means the job is done (its payload is then
 * erased); throwing means this attempt failed, and `retryDelayMs` says when to try again —
 * null gives up. Handlers must tolerate running a job twice (a worker that died after sending
 * but before recording it): at least once, never lost.
 */
export interface JobHandler {
  readonly kind: string;
  handle(job: ClaimedJob): Promise<void>;
  /** delay before attempt `attempt + 1` after attempt `attempt` (1-based) failed; null = give up */
  retryDelayMs(attempt: number): number | null;
}

/** Exponential backoff with a cap: base, 2·base, 4·base … ≤ capMs; gives up after maxAttempts. */
export function exponentialBackoff(options: { baseMs: number; capMs: number; maxAttempts: number }): (attempt: number) => number | null {
  return (attempt) => (attempt >= options.maxAttempts ? null : Math.min(options.capMs, options.baseMs * 2 ** (attempt - 1)));
}
