import { Injectable } from '@nestjs/common';
import type { Tx } from '@loomworks/database';
import type { DeliveryStatus, WebhookDelivery, WebhookEndpoint } from '../domain/webhooks';

interface EndpointRow {
  id: string;
  url: string;
  events: string[];
  description: string | null;
  secret_encrypted: string;
  failing: boolean;
  last_delivery_at: Date | null;
  created_at: Date;
}

const toEndpoint = (r: EndpointRow): WebhookEndpoint => ({
  id: r.id,
  url: r.url,
  events: r.events,
  description: r.description,
  failing: r.failing,
  lastDeliveryAt: r.last_delivery_at,
  createdAt: r.created_at,
});

interface DeliveryRow {
  id: string;
  event_id: string;
  event_type: string;
  attempt: number;
  status: DeliveryStatus;
  response_status: number | null;
  at: Date;
}

/** Webhook endpoints (deleted ones are kept, hidden, so their delivery log stays), fan-out marks, the delivery log. */
@Injectable()
export class WebhooksRepository {
  async insertEndpoint(tx: Tx, e: WebhookEndpoint & { secretEncrypted: string }): Promise<void> {
    await tx.query(
      `INSERT INTO webhook_endpoints (id, url, events, description, secret_encrypted, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
      [e.id, e.url, e.events, e.description, e.secretEncrypted, e.createdAt],
    );
  }

  async listLive(tx: Tx): Promise<WebhookEndpoint[]> {
    const rows: EndpointRow[] = await tx.query('SELECT * FROM webhook_endpoints WHERE deleted_at IS NULL ORDER BY created_at DESC, id DESC');
    return rows.map(toEndpoint);
  }

  async findLive(tx: Tx, id: string): Promise<(WebhookEndpoint & { secretEncrypted: string }) | null> {
    const rows: EndpointRow[] = await tx.query('SELECT * FROM webhook_endpoints WHERE id = $1 AND deleted_at IS NULL', [id]);
    return rows[0] ? { ...toEndpoint(rows[0]), secretEncrypted: rows[0].secret_encrypted } : null;
  }

  async softDelete(tx: Tx, id: string, at: Date): Promise<boolean> {
    const [, count]: [unknown[], number] = await tx.query('UPDATE webhook_endpoints SET deleted_at = $2 WHERE id = $1 AND deleted_at IS NULL', [id, at]);
    return count === 1;
  }

  async subscribedTo(tx: Tx, eventType: string): Promise<string[]> {
    const rows: { id: string }[] = await tx.query('SELECT id FROM webhook_endpoints WHERE deleted_at IS NULL AND $1 = ANY(events)', [eventType]);
    return rows.map((r) => r.id);
  }

  /** True the first time an event is handed to an endpoint; false when a fan-out ran again. */
  async markHandedOver(tx: Tx, eventId: string, endpointId: string, at: Date): Promise<boolean> {
    const inserted: unknown[] = await tx.query(
      'INSERT INTO webhook_messages (event_id, endpoint_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING 1',
      [eventId, endpointId, at],
    );
    return inserted.length === 1;
  }

  async insertDelivery(
    tx: Tx,
    d: WebhookDelivery & { endpointId: string; error: string | null },
  ): Promise<void> {
    await tx.query(
      `INSERT INTO webhook_deliveries (id, endpoint_id, event_id, event_type, attempt, status, response_status, error, at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [d.id, d.endpointId, d.eventId, d.eventType, d.attempt, d.status, d.responseStatus, d.error, d.at],
    );
  }

  async recordSuccess(tx: Tx, endpointId: string, at: Date): Promise<void> {
    await tx.query('UPDATE webhook_endpoints SET last_delivery_at = $2, consecutive_failures = 0, failing = false WHERE id = $1', [endpointId, at]);
  }

  /** Counts a failed attempt; the endpoint turns failing after `failingAfter` in a row, or at once with `failNow`. */
  async recordFailure(tx: Tx, endpointId: string, failingAfter: number, failNow: boolean): Promise<void> {
    await tx.query(
      `UPDATE webhook_endpoints
          SET consecutive_failures = consecutive_failures + 1,
              failing = failing OR $3 OR consecutive_failures + 1 >= $2
        WHERE id = $1`,
      [endpointId, failingAfter, failNow],
    );
  }

  async endpointExists(tx: Tx, id: string): Promise<boolean> {
    const rows: unknown[] = await tx.query('SELECT 1 FROM webhook_endpoints WHERE id = $1 AND deleted_at IS NULL', [id]);
    return rows.length === 1;
  }

  /** One endpoint's attempts, newest first, after the keyset (at, id) when given. */
  async deliveries(tx: Tx, endpointId: string, limit: number, after?: { at: Date; id: string }): Promise<WebhookDelivery[]> {
    const rows: DeliveryRow[] = await tx.query(
      `SELECT id, event_id, event_type, attempt, status, response_status, at FROM webhook_deliveries
        WHERE endpoint_id = $1 AND ($3::timestamptz IS NULL OR (at, id) < ($3, $4::uuid))
        ORDER BY at DESC, id DESC LIMIT $2`,
      [endpointId, limit, after?.at ?? null, after?.id ?? null],
    );
    return rows.map((r) => ({
      id: r.id,
      eventId: r.event_id,
      eventType: r.event_type,
      attempt: r.attempt,
      status: r.status,
      responseStatus: r.response_status,
      at: r.at,
    }));
  }
}
