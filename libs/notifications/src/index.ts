export { NotificationsModule } from './notifications.module';
export { OutboxWorker } from './outbox-worker.service';
export { type JobHandler, exponentialBackoff } from './job-handler';
export { MAIL_TRANSPORT, type MailTransport } from './mail/mail-transport';
export { renderMail, type RenderedMail } from './mail/templates';
