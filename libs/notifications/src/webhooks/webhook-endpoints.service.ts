import { randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, CursorCodec, paginate, ValidationFailedError, type Clock, type Page, type PageRequest } from '@loomworks/common';
import { APP_CONFIG, type AppConfig } from '@loomworks/config';
import { Transactions, type Tx } from '@loomworks/database';
import { EVENT_TYPES } from '@loomworks/outbox';
import { SecretBox } from '@loomworks/system-config';
import { WebhookNotFoundError, type WebhookDelivery, type WebhookEndpoint } from './domain/webhooks';
import { webhookUrlProblem } from './domain/webhook-url';
import { WebhooksRepository } from './persistence/webhooks.repository';

export interface CreateWebhookCommand {
  url: string;
  events: string[];
  description?: string;
}

const DELIVERY_CURSOR = CursorCodec.keyset('webhook_deliveries');

/** Staff's webhook endpoints: register (the signing secret is shown once), list, delete, delivery log. */
@Injectable()
export class WebhookEndpointsService {
  constructor(
    private readonly repository: WebhooksRepository,
    private readonly transactions: Transactions,
    private readonly secretBox: SecretBox,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Registers an endpoint in the caller's transaction; the answer carries its `whsec_` secret, never stored in clear. */
  async create(tx: Tx, command: CreateWebhookCommand): Promise<WebhookEndpoint & { secret: string }> {
    const problem = webhookUrlProblem(command.url, this.config.webhookAllowHttp);
    if (problem) throw new ValidationFailedError([{ field: 'url', message: problem }]);
    const unknown = command.events.filter((e) => !(EVENT_TYPES as readonly string[]).includes(e));
    if (unknown.length > 0) throw new ValidationFailedError([{ field: 'events', message: `unknown event types: ${unknown.join(', ')}` }]);
    // Standard Webhooks: a whsec_-prefixed base64 secret of 24–64 random bytes.
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    const endpoint: WebhookEndpoint = {
      id: randomUUID(),
      url: command.url,
      events: [...new Set(command.events)],
      description: command.description ?? null,
      failing: false,
      lastDeliveryAt: null,
      createdAt: this.clock.now(),
    };
    await this.repository.insertEndpoint(tx, { ...endpoint, secretEncrypted: this.secretBox.encrypt(secret) });
    return { ...endpoint, secret };
  }

  list(): Promise<WebhookEndpoint[]> {
    return this.repository.listLive(this.transactions.manager);
  }

  /** Stops deliveries to the endpoint (queued ones are dropped); its delivery log is kept. */
  async remove(tx: Tx, id: string): Promise<void> {
    if (!(await this.repository.softDelete(tx, id, this.clock.now()))) throw new WebhookNotFoundError();
  }

  async deliveries(id: string, request: PageRequest): Promise<Page<WebhookDelivery>> {
    const manager = this.transactions.manager;
    if (!(await this.repository.endpointExists(manager, id))) throw new WebhookNotFoundError();
    return paginate(request, {
      cursor: DELIVERY_CURSOR,
      fetch: (take, after) => this.repository.deliveries(manager, id, take, after),
      position: (d) => ({ at: d.at, id: d.id }),
      item: (d) => d,
    });
  }
}
