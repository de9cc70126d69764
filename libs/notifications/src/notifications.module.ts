import { Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@loomworks/config';
import { OutboxModule } from '@loomworks/outbox';
import { SystemConfigModule } from '@loomworks/system-config';
import { MailJobHandler } from './mail/mail.handler';
import { MAIL_TRANSPORT, smtpTransport } from './mail/mail-transport';
import { OutboxWorker } from './outbox-worker.service';
import { EventFanOutHandler } from './webhooks/event-fan-out.handler';
import { WebhooksRepository } from './webhooks/persistence/webhooks.repository';
import { WebhookDeliveryHandler } from './webhooks/webhook-delivery.handler';
import { WebhookEndpointsService } from './webhooks/webhook-endpoints.service';

@Module({
  imports: [OutboxModule, SystemConfigModule],
  providers: [
    OutboxWorker,
    { provide: MAIL_TRANSPORT, inject: [APP_CONFIG], useFactory: (config: AppConfig) => smtpTransport(config) },
    MailJobHandler,
    WebhooksRepository,
    WebhookEndpointsService,
    EventFanOutHandler,
    WebhookDeliveryHandler,
  ],
  exports: [OutboxWorker, WebhookEndpointsService],
})
export class NotificationsModule {}
