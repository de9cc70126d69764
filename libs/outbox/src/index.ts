export { OutboxModule } from './outbox.module';
export { Outbox, type EnqueueJobCommand, type RecordEventCommand } from './outbox.service';
export { OutboxQueue } from './outbox-queue.service';
export { EVENT_TYPES, EVENT_JOB_KIND, type EventType } from './domain/events';
export { type ClaimedJob, type JobStatus, type JobView, type KindBacklog, type OutboxBacklog, type OutboxEvent, JOB_STATUSES, WEBHOOK_JOB_KIND } from './domain/jobs';
export {
  MAIL_JOB_KIND,
  MAIL_TEMPLATES,
  type MailMessage,
  type MailStatus,
  type MailTemplate,
  type MailTemplateParams,
} from './domain/mail';
export { MailStatusSchema } from './mail-status.schema';
