import { randomUUID } from 'node:crypto';
import type { LookupAddress } from 'node:dns';
import { lookup } from 'node:dns/promises';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { Webhook } from 'standardwebhooks';
import { CLOCK, type Clock } from '@loomworks/common';
import { APP_CONFIG, type AppConfig } from '@loomworks/config';
import { Transactions } from '@loomworks/database';
import type { ClaimedJob } from '@loomworks/outbox';
import { SecretBox } from '@loomworks/system-config';
import type { JobHandler } from '../job-handler';
import { OutboxWorker } from '../outbox-worker.service';
import { FAILING_AFTER_CONSECUTIVE_FAILURES, WEBHOOK_JOB_KIND, WEBHOOK_RETRY_DELAYS_MS, type WebhookJobPayload } from './domain/webhooks';
import { hostOf, isPublicAddress } from './domain/webhook-url';
import { postToAddress } from './pinned-post';
import { WebhooksRepository } from './persistence/webhooks.repository';

const REQUEST_TIMEOUT_MS = 10_000;

/**
 * Delivers one event to one endpoint per the Standard Webhooks specification: the body is the
 * event `{type, timestamp, data}`, `webhook-id` is the event's id on every attempt (receivers
 * deduplicate by it: delivery is at least once), `webhook-signature` is `v1,<HMAC-SHA256>` by the
 * standardwebhooks package. A 2xx answer is success; anything else is retried on DESIGN.md's
 * schedule by the outbox worker. Every attempt is logged.
 */
@Injectable()
export class WebhookDeliveryHandler implements JobHandler, OnModuleInit {
  readonly kind = WEBHOOK_JOB_KIND;

  constructor(
    private readonly worker: OutboxWorker,
    private readonly repository: WebhooksRepository,
    private readonly transactions: Transactions,
    private readonly secretBox: SecretBox,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    this.worker.register(this);
  }

  async handle(job: ClaimedJob): Promise<void> {
    const { endpointId, event } = job.payload as WebhookJobPayload;
    const endpoint = await this.repository.findLive(this.transactions.manager, endpointId);
    if (!endpoint) return; // deleted since: nothing more to deliver
    const body = JSON.stringify({ type: event.type, timestamp: event.timestamp, data: event.data });
    const now = this.clock.now();
    const signature = new Webhook(this.secretBox.decrypt(endpoint.secretEncrypted)).sign(event.id, now, body);

    let responseStatus: number | null = null;
    let error: string | null = null;
    try {
      const url = new URL(endpoint.url);
      const headers = {
        'content-type': 'application/json',
        'user-agent': 'Loomworks-Webhooks/1',
        'webhook-id': event.id,
        'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
        'webhook-signature': signature,
      };
      responseStatus = await postToAddress(url, await this.checkedTarget(url), headers, body, REQUEST_TIMEOUT_MS);
      if (responseStatus < 200 || responseStatus > 299) error = `endpoint answered ${responseStatus}`;
    } catch (cause) {
      error = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    }

    const lastAttempt = this.retryDelayMs(job.attempt) === null;
    await this.transactions.run(async (tx) => {
      await this.repository.insertDelivery(tx, {
        id: randomUUID(),
        endpointId,
        eventId: event.id,
        eventType: event.type,
        attempt: job.attempt,
        status: error ? 'failed' : 'delivered',
        responseStatus,
        error,
        at: now,
      });
      if (error) await this.repository.recordFailure(tx, endpointId, FAILING_AFTER_CONSECUTIVE_FAILURES, lastAttempt);
      else await this.repository.recordSuccess(tx, endpointId, now);
    });
    if (error) throw new Error(error);
  }

  retryDelayMs(attempt: number): number | null {
    return WEBHOOK_RETRY_DELAYS_MS[attempt - 1] ?? null;
  }

  /**
   * The host resolved once, here: every address it answers must be public (a public name may
   * point inside the network), and the delivery connects to the first of them, not to whatever a
   * second resolution would answer.
   */
  private async checkedTarget(url: URL): Promise<LookupAddress> {
    const addresses = await lookup(hostOf(url), { all: true });
    if (!this.config.webhookAllowHttp && addresses.some((a) => !isPublicAddress(a.address))) {
      throw new Error('the endpoint resolves to a non-public address');
    }
    return addresses[0];
  }
}
