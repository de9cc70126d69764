import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, type Clock } from '@loomworks/common';
import { ReadReplica, Transactions } from '@loomworks/database';
import { SecretBox } from '@loomworks/system-config';
import type { ClaimedJob, JobStatus, JobView, KindBacklog, OutboxBacklog } from './domain/jobs';
import { OutboxRepository } from './persistence/outbox.repository';

const MAX_ERROR_LENGTH = 500;

/** Error text kept for staff: one line, bounded. */
const errorText = (error: string): string => error.replace(/\s+/g, ' ').trim().slice(0, MAX_ERROR_LENGTH);

/**
 * The worker side of the outbox: claim due jobs, then finish or reschedule each. Each call is its
 * own short transaction, so no connection is held while a job talks to the outside world; a claim
 * is a lease, and a worker that dies mid-job leaves it to be claimed again when the lease ends.
 */
@Injectable()
export class OutboxQueue {
  constructor(
    private readonly repository: OutboxRepository,
    private readonly transactions: Transactions,
    private readonly replica: ReadReplica,
    private readonly secretBox: SecretBox,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Claims up to `limit` due jobs of the given kinds for `leaseMs`. */
  async claimDue(kinds: string[], limit: number, leaseMs: number): Promise<ClaimedJob[]> {
    const now = this.clock.now();
    const rows = await this.transactions.run((tx) => this.repository.claimDue(tx, now, new Date(now.getTime() + leaseMs), limit, kinds));
    return rows.map((r) => ({
      id: r.id,
      kind: r.kind,
      payload: JSON.parse(this.secretBox.decrypt(r.payload_encrypted)) as unknown,
      summary: r.summary,
      attempt: r.attempts,
      createdAt: r.created_at,
    }));
  }

  /** The job is done: mark it sent and erase its payload. False when this claim went stale. */
  markSent(job: ClaimedJob): Promise<boolean> {
    return this.transactions.run((tx) => this.repository.finish(tx, job.id, job.attempt, 'sent', null, this.clock.now()));
  }

  /** This attempt failed: try again after `delayMs`. */
  retryLater(job: ClaimedJob, error: string, delayMs: number): Promise<boolean> {
    const runAt = new Date(this.clock.now().getTime() + delayMs);
    return this.transactions.run((tx) => this.repository.reschedule(tx, job.id, job.attempt, runAt, errorText(error)));
  }

  /** No more attempts: mark it failed and erase its payload. */
  giveUp(job: ClaimedJob, error: string): Promise<boolean> {
    return this.transactions.run((tx) => this.repository.finish(tx, job.id, job.attempt, 'failed', errorText(error), this.clock.now()));
  }

  /** Jobs of one kind, newest first (keyset on created_at, id); never their payloads. */
  list(q: { kind: string; status?: JobStatus; limit: number; after?: { createdAt: Date; id: string } }): Promise<JobView[]> {
    // An admin list (the mail log): lag-tolerant: from the read replica when one is configured (DESIGN.md "Scaling and failover").
    return this.repository.listJobs(this.replica.readOnly(), q);
  }

  backlog(): Promise<OutboxBacklog> {
    return this.repository.backlog(this.transactions.manager, this.clock.now());
  }

  /** The backlog of each kind that has pending jobs. */
  backlogByKind(): Promise<KindBacklog[]> {
    // A metrics gauge: lag-tolerant: from the read replica when one is configured (DESIGN.md "Scaling and failover").
    return this.repository.backlogByKind(this.replica.readOnly(), this.clock.now());
  }
}
