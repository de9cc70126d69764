import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Webhook endpoints (secret Fernet-encrypted, shown once at creation), which endpoint got which
 * event (so an event is handed to each endpoint once even if its fan-out job runs twice), and
 * the log of delivery attempts.
 */
export class CreateWebhooks1764400003000 implements MigrationInterface {
  name = 'CreateWebhooks1764400003000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE webhook_endpoints (
        id                   uuid PRIMARY KEY,
        url                  text NOT NULL,
        events               text[] NOT NULL CHECK (cardinality(events) > 0),
        description          text,
        secret_encrypted     text NOT NULL,
        failing              boolean NOT NULL DEFAULT false,
        consecutive_failures integer NOT NULL DEFAULT 0,
        last_delivery_at     timestamptz,
        created_at           timestamptz NOT NULL,
        deleted_at           timestamptz
      )`);
    await q.query('CREATE INDEX webhook_endpoints_live_idx ON webhook_endpoints (created_at DESC, id DESC) WHERE deleted_at IS NULL');
    await q.query(`
      CREATE TABLE webhook_messages (
        event_id    uuid NOT NULL,
        endpoint_id uuid NOT NULL REFERENCES webhook_endpoints (id),
        created_at  timestamptz NOT NULL,
        PRIMARY KEY (event_id, endpoint_id)
      )`);
    await q.query(`
      CREATE TABLE webhook_deliveries (
        id              uuid PRIMARY KEY,
        endpoint_id     uuid NOT NULL REFERENCES webhook_endpoints (id),
        event_id        uuid NOT NULL,
        event_type      text NOT NULL,
        attempt         integer NOT NULL,
        status          text NOT NULL CHECK (status IN ('delivered', 'failed')),
        response_status integer,
        error           text,
        at              timestamptz NOT NULL
      )`);
    await q.query('CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (endpoint_id, at DESC, id DESC)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE webhook_deliveries');
    await q.query('DROP TABLE webhook_messages');
    await q.query('DROP TABLE webhook_endpoints');
  }
}
