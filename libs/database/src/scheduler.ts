import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { Meters } from '@loomworks/common';
import { APP_CONFIG, type AppConfig } from '@loomworks/config';
import { Transactions } from './transactions';

/** How long between two starts of a job, deployment-wide: fixed, or read (e.g. from a setting). */
export type JobInterval = number | (() => Promise<number>);

/** A job's work. `signal` aborts when the app shuts down: long loops should stop at the next step. */
export type JobWork = (signal: AbortSignal) => Promise<unknown>;

/** A lease lasts this long unless its instance renews it (every tick while the job runs). */
const LEASE_MS = 60_000;
/** A job whose interval is read (a setting) sees a change within this long. */
const INTERVAL_REREAD_MS = 60_000;
/** How often `exclusive` asks again while another instance runs the job. */
const EXCLUSIVE_RETRY_MS = 100;

interface Job {
  name: string;
  interval: JobInterval;
  work: JobWork;
  /** the interval as last read, and when (dynamic intervals only) */
  knownMs?: number;
  readAt?: number;
}

/**
 * The one scheduler: every piece of background work (hold sweeps via the reconciler, idempotency
 * and session housekeeping, outbox polling, the sealer …) is a named job here; no module keeps a
 * timer of its own. Register in `onModuleInit`, one line:
 *
 *     this.scheduler.every('idempotency.sweep', 10 * 60_000, () => this.sweepExpired());
 *     this.scheduler.every('reconciler', async () => (await this.settings.require('reconcile_interval_seconds')) * 1000, () => …);
 *
 * Each job runs once per interval across every instance on the database: a run is claimed by one
 * UPDATE of the job's row in `scheduled_jobs` (due by the database's clock, lease free), which
 * hands out a lease the running instance renews; a crashed instance's lease lapses after a minute.
 * No session state (no session advisory lock, no LISTEN), so it works through a transaction-mode
 * pooler. Every run logs its name (debug level: outbox.poll runs every second); a failing run is
 * logged as an error with the job's name and counted (loomworks_scheduled_runs_total); the next
 * run comes one interval after the failed one started, as after a success.
 *
 * One timer per instance asks the database every SCHEDULER_TICK_MS (or the shortest fixed interval,
 * if shorter); 0 starts no timer (tests call runDue()). A job's first run is one interval after the
 * first instance registered it.
 */
@Injectable()
export class Scheduler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Scheduler');
  private readonly jobs = new Map<string, Job>();
  /** jobs whose row may not exist yet */
  private readonly unsaved = new Set<string>();
  /** running jobs of this instance: lease token and the run's promise */
  private readonly running = new Map<string, { token: string; done: Promise<void> }>();
  private readonly shutdown = new AbortController();
  private timer?: NodeJS.Timeout;
  private ticking?: Promise<void>;
  /** rounds the timer started (claim, then run), awaited at shutdown */
  private readonly rounds = new Set<Promise<unknown>>();

  constructor(
    private readonly transactions: Transactions,
    private readonly meters: Meters,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Registers `work` to run every `interval` ms across the deployment under the unique `name`. */
  every(name: string, interval: JobInterval, work: JobWork): void {
    if (this.jobs.has(name)) throw new Error(`scheduled job ${name} is registered twice`);
    this.jobs.set(name, { name, interval, work });
    this.unsaved.add(name);
    this.meters.scheduledRuns.inc({ job: name, result: 'ok' }, 0);
    this.meters.scheduledRuns.inc({ job: name, result: 'failed' }, 0);
  }

  onApplicationBootstrap(): void {
    if (this.config.schedulerTickMs > 0) this.arm();
  }

  /** Stops asking, aborts the running jobs' signal and waits for them to return. */
  async beforeApplicationShutdown(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.shutdown.abort();
    await this.ticking;
    await Promise.all([...this.rounds, ...[...this.running.values()].map((r) => r.done)]);
  }

  /**
   * Claims every due job whose lease is free and runs them; resolves when they have finished.
   * The timer calls it; tests call it by hand (SCHEDULER_TICK_MS=0). Returns the names it ran.
   */
  async runDue(): Promise<string[]> {
    if (this.shutdown.signal.aborted) return [];
    await this.saveNewRows();
    const candidates = [...this.jobs.values()].filter((job) => !this.running.has(job.name));
    if (candidates.length === 0) return [];
    const intervals = await Promise.all(candidates.map((job) => this.intervalOf(job)));
    const token = randomUUID();
    // TypeORM answers an UPDATE with [rows, count].
    const [claimed]: [{ name: string }[], number] = await this.transactions.manager.query(
      `UPDATE scheduled_jobs s
          SET last_started_at = now(), lease_token = $1, lease_until = now() + $2 * interval '1 millisecond'
         FROM unnest($3::text[], $4::float8[]) AS due(name, every_ms)
        WHERE s.name = due.name
          AND s.last_started_at <= now() - due.every_ms * interval '1 millisecond'
          AND (s.lease_until IS NULL OR s.lease_until <= now())
        RETURNING s.name`,
      [token, LEASE_MS, candidates.map((job) => job.name), intervals],
    );
    await Promise.all(claimed.map(({ name }) => this.start(this.jobs.get(name)!, token)));
    return claimed.map(({ name }) => name);
  }

  /**
   * Runs `work` now as a run of job `name` (its next scheduled run then comes an interval later),
   * after the run in progress anywhere, if any: e.g. a reconciliation on demand.
   */
  async exclusive<T>(name: string, work: () => Promise<T>): Promise<T> {
    if (!this.jobs.has(name)) throw new Error(`scheduled job ${name} is not registered`);
    await this.saveNewRows();
    const token = randomUUID();
    for (;;) {
      const [claimed]: [unknown[], number] = await this.transactions.manager.query(
        `UPDATE scheduled_jobs SET last_started_at = now(), lease_token = $2, lease_until = now() + $3 * interval '1 millisecond'
          WHERE name = $1 AND (lease_until IS NULL OR lease_until <= now())
          RETURNING name`,
        [name, token, LEASE_MS],
      );
      if (claimed.length === 1) break;
      if (this.shutdown.signal.aborted) throw new Error(`scheduled job ${name}: shutting down`);
      await new Promise((resolve) => setTimeout(resolve, EXCLUSIVE_RETRY_MS));
    }
    // Counted as running here, so the timer renews its lease and shutdown waits for it.
    let finished!: () => void;
    this.running.set(name, { token, done: new Promise<void>((resolve) => (finished = resolve)) });
    try {
      return await work();
    } finally {
      this.running.delete(name);
      await this.release(name, token).catch((error: unknown) => this.logger.warn(`scheduled job ${name}: lease not released: ${describe(error)}`));
      finished();
    }
  }

  private async start(job: Job, token: string): Promise<void> {
    if (this.shutdown.signal.aborted) return this.release(job.name, token);
    const done = this.execute(job, token);
    this.running.set(job.name, { token, done });
    await done;
  }

  private async execute(job: Job, token: string): Promise<void> {
    try {
      const started = Date.now();
      await job.work(this.shutdown.signal);
      this.meters.scheduledRuns.inc({ job: job.name, result: 'ok' });
      // debug: outbox.poll runs every second on some instance; failures are errors (below)
      this.logger.debug(`scheduled job ${job.name} ran in ${Date.now() - started} ms`);
    } catch (error) {
      this.meters.scheduledRuns.inc({ job: job.name, result: 'failed' });
      this.logger.error(`scheduled job ${job.name} failed: ${describe(error)}`);
    } finally {
      job.readAt = undefined; // re-read a setting-driven interval after each run
      this.running.delete(job.name);
      await this.release(job.name, token).catch((error: unknown) =>
        // the lease then lapses by itself; the next run is only late by a minute
        this.logger.warn(`scheduled job ${job.name}: lease not released: ${describe(error)}`),
      );
    }
  }

  private async release(name: string, token: string): Promise<void> {
    await this.transactions.manager.query(
      'UPDATE scheduled_jobs SET last_finished_at = now(), lease_token = NULL, lease_until = NULL WHERE name = $1 AND lease_token = $2',
      [name, token],
    );
  }

  /** A new job's row starts its clock: its first run comes one interval later. */
  private async saveNewRows(): Promise<void> {
    if (this.unsaved.size === 0) return;
    const names = [...this.unsaved];
    await this.transactions.manager.query(
      'INSERT INTO scheduled_jobs (name, last_started_at) SELECT unnest($1::text[]), now() ON CONFLICT (name) DO NOTHING',
      [names],
    );
    for (const name of names) this.unsaved.delete(name);
  }

  private async intervalOf(job: Job): Promise<number> {
    if (typeof job.interval === 'number') return job.interval;
    if (job.knownMs === undefined || job.readAt === undefined || Date.now() - job.readAt >= INTERVAL_REREAD_MS) {
      job.knownMs = await job.interval();
      job.readAt = Date.now();
    }
    return job.knownMs;
  }

  /** Leases of this instance's running jobs last another LEASE_MS. */
  private async renewLeases(): Promise<void> {
    if (this.running.size === 0) return;
    await this.transactions.manager.query(
      `UPDATE scheduled_jobs SET lease_until = now() + $2 * interval '1 millisecond' WHERE lease_token = ANY($1::uuid[])`,
      [[...this.running.values()].map((r) => r.token), LEASE_MS],
    );
  }

  /** The shortest fixed interval, when shorter than the tick: OUTBOX_POLL_MS=200 polls five times a second. */
  private tickMs(): number {
    const fixed = [...this.jobs.values()].map((job) => job.interval).filter((i): i is number => typeof i === 'number');
    return Math.max(10, Math.min(this.config.schedulerTickMs, ...fixed));
  }

  private arm(): void {
    if (this.shutdown.signal.aborted) return;
    this.timer = setTimeout(() => {
      this.ticking = this.tick().finally(() => this.arm());
    }, this.tickMs());
    this.timer.unref();
  }

  /** Claims and starts due jobs without waiting for them (a long job must not hold up the others). */
  private async tick(): Promise<void> {
    try {
      await this.renewLeases();
      const round = this.runDue()
        .catch((error: unknown) => this.logger.error(`scheduler tick failed: ${describe(error)}`))
        .finally(() => this.rounds.delete(round));
      this.rounds.add(round);
    } catch (error) {
      this.logger.error(`scheduler tick failed: ${describe(error)}`);
    }
  }
}

/** An error as one safe line: its code and message, never a stack or SQL parameters. */
function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}
