import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { Meters } from '@loomworks/common';
import { APP_CONFIG, type AppConfig } from '@loomworks/config';
import { Scheduler } from '@loomworks/database';
import { OutboxQueue, type ClaimedJob } from '@loomworks/outbox';
import type { JobHandler } from './job-handler';

/** Jobs claimed per round; a full round is followed at once by another. */
const BATCH_SIZE = 10;

/**
 * Drains the outbox: the scheduled job `outbox.poll` (every `OUTBOX_POLL_MS`; 0 = never, tests
 * call drain()) claims due jobs of the kinds it has handlers for (FOR UPDATE SKIP LOCKED, so
 * any number of drains share the work), runs them, and records each outcome. Handlers register
 * themselves at module init; one worker drives every kind.
 */
@Injectable()
export class OutboxWorker implements OnModuleInit {
  private readonly logger = new Logger(OutboxWorker.name);
  private readonly handlers = new Map<string, JobHandler>();
  private running?: Promise<number>;

  constructor(
    private readonly queue: OutboxQueue,
    private readonly meters: Meters,
    private readonly scheduler: Scheduler,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  register(handler: JobHandler): void {
    this.handlers.set(handler.kind, handler);
  }

  onModuleInit(): void {
    if (this.config.outbox.pollMs > 0) this.scheduler.every('outbox.poll', this.config.outbox.pollMs, (signal) => this.drain(signal));
  }

  /**
   * Runs due jobs until none is left (or `signal` aborts: shutdown); returns how many ran.
   * Concurrent calls share one run, so the poller and a caller (tests, an admin action) never
   * claim in parallel within one instance.
   */
  drain(signal?: AbortSignal): Promise<number> {
    this.running ??= this.drainRounds(signal).finally(() => (this.running = undefined));
    return this.running;
  }

  private async drainRounds(signal?: AbortSignal): Promise<number> {
    let ran = 0;
    for (;;) {
      if (signal?.aborted || this.handlers.size === 0) return ran;
      const jobs = await this.queue.claimDue([...this.handlers.keys()], BATCH_SIZE, this.config.outbox.leaseSeconds * 1000);
      await Promise.all(jobs.map((job) => this.runJob(job)));
      ran += jobs.length;
      // Until a round finds nothing due: a job may enqueue follow-ups (an event's fan-out, its deliveries).
      if (jobs.length === 0) return ran;
    }
  }

  private async runJob(job: ClaimedJob): Promise<void> {
    const handler = this.handlers.get(job.kind);
    if (!handler) return; // claimed only kinds with handlers; unreachable
    try {
      await handler.handle(job);
    } catch (error) {
      const reason = describe(error);
      const delay = handler.retryDelayMs(job.attempt);
      this.meters.outboxJobs.inc({ kind: job.kind, result: delay === null ? 'failed' : 'retried' });
      if (delay === null) {
        await this.queue.giveUp(job, reason);
        this.logger.warn(`outbox job ${job.id} (${job.kind}) given up after ${job.attempt} attempts: ${reason}`);
      } else {
        await this.queue.retryLater(job, reason, delay);
        this.logger.warn(`outbox job ${job.id} (${job.kind}) attempt ${job.attempt} failed, retry in ${delay} ms: ${reason}`);
      }
      return;
    }
    this.meters.outboxJobs.inc({ kind: job.kind, result: 'sent' });
    if (!(await this.queue.markSent(job))) {
      this.logger.warn(`outbox job ${job.id} (${job.kind}) finished after its claim expired`);
    }
  }
}

/** An error as one safe line: its code and message, never a stack. */
function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}
