import { ApiProperty } from '@nestjs/swagger';
import { PageOf } from '@loomworks/common';
import type { WebhookDelivery, WebhookEndpoint } from '@loomworks/notifications';
import { FINDING_KINDS, type ReconciliationRun } from '@loomworks/operations';
import { EVENT_TYPES, type OutboxEvent } from '@loomworks/outbox';

// What the admin webhook, event and reconciliation routes answer: each class is both the OpenAPI
// schema and the type their services return, beside the function that builds it.

export class WebhookSchema {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() url!: string;
  @ApiProperty({ enum: EVENT_TYPES, isArray: true }) events!: string[];
  @ApiProperty({ nullable: true, type: String }) description!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class CreatedWebhookSchema extends WebhookSchema {
  @ApiProperty({ description: 'the whsec_ signing secret: shown once, stored encrypted' }) secret!: string;
}

export class ListedWebhookSchema extends WebhookSchema {
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) lastDeliveryAt!: string | null;
  @ApiProperty({ description: 'recent attempts keep failing' }) failing!: boolean;
}

export class WebhookListSchema {
  @ApiProperty({ type: [ListedWebhookSchema] }) items!: ListedWebhookSchema[];
}

export class DeliverySchema {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) eventId!: string;
  @ApiProperty() eventType!: string;
  @ApiProperty() attempt!: number;
  @ApiProperty({ enum: ['delivered', 'failed'] }) status!: string;
  @ApiProperty({ nullable: true, type: Number }) responseStatus!: number | null;
  @ApiProperty({ format: 'date-time' }) at!: string;
}

export class DeliveryPageSchema extends PageOf(DeliverySchema) {}

export const webhookView = (w: WebhookEndpoint): WebhookSchema => ({
  id: w.id,
  url: w.url,
  events: w.events,
  description: w.description,
  createdAt: w.createdAt.toISOString(),
});

export const deliveryView = (d: WebhookDelivery): DeliverySchema => ({
  id: d.id,
  eventId: d.eventId,
  eventType: d.eventType,
  attempt: d.attempt,
  status: d.status,
  responseStatus: d.responseStatus,
  at: d.at.toISOString(),
});

export class EventSchema {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: EVENT_TYPES }) type!: string;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'ids and amounts, never secrets' }) data!: Record<string, unknown>;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class EventPageSchema extends PageOf(EventSchema) {}

export const eventView = (e: OutboxEvent): EventSchema => ({ id: e.id, type: e.type, data: e.data, createdAt: e.timestamp.toISOString() });

class FindingSchema {
  @ApiProperty({ enum: FINDING_KINDS }) kind!: string;
  @ApiProperty({ description: 'ids and amounts (amounts as decimal strings)', type: 'object', additionalProperties: true })
  detail!: Record<string, unknown>;
}

export class ReconciliationRunSchema {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: ['schedule', 'manual'] }) trigger!: string;
  @ApiProperty({ format: 'date-time' }) startedAt!: string;
  @ApiProperty({ format: 'date-time' }) finishedAt!: string;
  @ApiProperty() ok!: boolean;
  @ApiProperty({ type: [FindingSchema] }) findings!: FindingSchema[];
}

export const runView = (run: ReconciliationRun): ReconciliationRunSchema => ({
  id: run.id,
  trigger: run.trigger,
  startedAt: run.startedAt.toISOString(),
  finishedAt: run.finishedAt.toISOString(),
  ok: run.ok,
  findings: run.findings,
});
