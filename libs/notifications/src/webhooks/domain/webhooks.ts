import { DomainError } from '@loomworks/common';

export interface WebhookEndpoint {
  id: string;
  url: string;
  events: string[];
  description: string | null;
  failing: boolean;
  lastDeliveryAt: Date | null;
  createdAt: Date;
}

export type DeliveryStatus = 'delivered' | 'failed';

export interface WebhookDelivery {
  id: string;
  eventId: string;
  eventType: string;
  attempt: number;
  status: DeliveryStatus;
  responseStatus: number | null;
  at: Date;
}

/** What a `webhook` outbox job carries: the endpoint and the event, as recorded. */
export interface WebhookJobPayload {
  endpointId: string;
  event: { id: string; type: string; timestamp: string; data: Record<string, unknown> };
}

export { WEBHOOK_JOB_KIND } from '@loomworks/outbox';

/**
 * DESIGN.md's retry schedule: after a failed attempt n the next one comes this long after it;
 * a seventh failure gives up.
 */
export const WEBHOOK_RETRY_DELAYS_MS = [5_000, 30_000, 120_000, 600_000, 3_600_000, 21_600_000] as const;

/** An endpoint is shown as failing after this many failed attempts in a row (a success clears it). */
export const FAILING_AFTER_CONSECUTIVE_FAILURES = 5;

export class WebhookNotFoundError extends DomainError {
  readonly code = 'webhook_not_found';
  constructor() {
    super('No such webhook endpoint');
  }
}
