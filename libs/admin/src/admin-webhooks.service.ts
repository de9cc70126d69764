import { Injectable } from '@nestjs/common';
import { mapPage, type PageRequest } from '@loomworks/common';
import { Transactions } from '@loomworks/database';
import { WebhookEndpointsService, type CreateWebhookCommand } from '@loomworks/notifications';
import type { Person } from '@loomworks/persons';
import { AuditService } from './audit.service';
import { deliveryView, webhookView, type CreatedWebhookSchema, type DeliveryPageSchema, type WebhookListSchema } from './operations-views';

/** Staff's webhook endpoints: each change and its audit record commit together. */
@Injectable()
export class AdminWebhooksService {
  constructor(
    private readonly webhooks: WebhookEndpointsService,
    private readonly audit: AuditService,
    private readonly transactions: Transactions,
  ) {}

  /** The answer carries the signing secret, shown this once. */
  create(actor: Person, command: CreateWebhookCommand): Promise<CreatedWebhookSchema> {
    return this.transactions.run(async (tx) => {
      const created = await this.webhooks.create(tx, command);
      await this.audit.record(tx, {
        actorPersonId: actor.id,
        action: 'webhook.create',
        subjectType: 'webhook',
        subjectId: created.id,
        details: { url: created.url, events: created.events },
      });
      return { ...webhookView(created), secret: created.secret };
    });
  }

  async list(): Promise<WebhookListSchema> {
    const items = await this.webhooks.list();
    return { items: items.map((w) => ({ ...webhookView(w), lastDeliveryAt: w.lastDeliveryAt?.toISOString() ?? null, failing: w.failing })) };
  }

  /** Its delivery log is kept. */
  remove(actor: Person, id: string): Promise<void> {
    return this.transactions.run(async (tx) => {
      await this.webhooks.remove(tx, id);
      await this.audit.record(tx, { actorPersonId: actor.id, action: 'webhook.delete', subjectType: 'webhook', subjectId: id });
    });
  }

  async deliveries(id: string, page: PageRequest): Promise<DeliveryPageSchema> {
    return mapPage(await this.webhooks.deliveries(id, page), deliveryView);
  }
}
