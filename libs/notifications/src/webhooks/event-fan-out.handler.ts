import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { CLOCK, type Clock } from '@loomworks/common';
import { Transactions } from '@loomworks/database';
import { EVENT_JOB_KIND, Outbox, type ClaimedJob, type OutboxEvent } from '@loomworks/outbox';
import { exponentialBackoff, type JobHandler } from '../job-handler';
import { OutboxWorker } from '../outbox-worker.service';
import { WEBHOOK_JOB_KIND, type WebhookJobPayload } from './domain/webhooks';
import { WebhooksRepository } from './persistence/webhooks.repository';

type StoredEvent = Omit<OutboxEvent, 'timestamp'> & { timestamp: string };

/**
 * Hands a recorded event (its `event` job was written with it, in its cause's transaction) to
 * every endpoint subscribed to its type: one `webhook` job each, in one transaction. The
 * (event, endpoint) mark makes a second run of the same fan-out add nothing.
 */
@Injectable()
export class EventFanOutHandler implements JobHandler, OnModuleInit {
  readonly kind = EVENT_JOB_KIND;
  private readonly backoff = exponentialBackoff({ baseMs: 5_000, capMs: 3_600_000, maxAttempts: 20 });

  constructor(
    private readonly worker: OutboxWorker,
    private readonly outbox: Outbox,
    private readonly repository: WebhooksRepository,
    private readonly transactions: Transactions,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    this.worker.register(this);
  }

  async handle(job: ClaimedJob): Promise<void> {
    const event = job.payload as StoredEvent;
    await this.transactions.run(async (tx) => {
      for (const endpointId of await this.repository.subscribedTo(tx, event.type)) {
        if (!(await this.repository.markHandedOver(tx, event.id, endpointId, this.clock.now()))) continue;
        const payload: WebhookJobPayload = { endpointId, event: { id: event.id, type: event.type, timestamp: event.timestamp, data: event.data } };
        await this.outbox.enqueue(tx, { kind: WEBHOOK_JOB_KIND, payload, summary: { endpointId, eventId: event.id, type: event.type } });
      }
    });
  }

  retryDelayMs(attempt: number): number | null {
    return this.backoff(attempt);
  }
}
