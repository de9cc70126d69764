export { NotificationsModule } from './notifications.module';
export { OutboxWorker } from './outbox-worker.service';
export { type JobHandler, exponentialBackoff } from './job-handler';
export { MAIL_TRANSPORT, type MailTransport } from './mail/mail-transport';
export { renderMail, type RenderedMail } from './mail/templates';
export { WebhookEndpointsService, type CreateWebhookCommand } from './webhooks/webhook-endpoints.service';
export {
  WebhookNotFoundError,
  WEBHOOK_JOB_KIND,
  WEBHOOK_RETRY_DELAYS_MS,
  type WebhookDelivery,
  type WebhookEndpoint,
} from './webhooks/domain/webhooks';
