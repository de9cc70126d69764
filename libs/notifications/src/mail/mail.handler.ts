import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@loomworks/config';
import { MAIL_JOB_KIND, type ClaimedJob, type MailMessage } from '@loomworks/outbox';
import { exponentialBackoff, type JobHandler } from '../job-handler';
import { OutboxWorker } from '../outbox-worker.service';
import { MAIL_TRANSPORT, type MailTransport } from './mail-transport';
import { renderMail } from './templates';

/**
 * Retries: 30 s, 1, 2, 4 … min, at most an hour apart; after 12 attempts (about 5 h) the mail is
 * given up (staff see it as failed in GET /admin/mail and can re-issue).
 */
export const mailRetryDelayMs = exponentialBackoff({ baseMs: 30_000, capMs: 3_600_000, maxAttempts: 12 });

/** Sends queued mails over SMTP. Registers with the worker only when mail is on. */
@Injectable()
export class MailJobHandler implements JobHandler, OnModuleInit, OnApplicationShutdown {
  readonly kind = MAIL_JOB_KIND;

  constructor(
    private readonly worker: OutboxWorker,
    @Inject(MAIL_TRANSPORT) private readonly transport: MailTransport | null,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    if (this.transport) this.worker.register(this);
  }

  onApplicationShutdown(): void {
    this.transport?.close();
  }

  async handle(job: ClaimedJob): Promise<void> {
    if (!this.transport) throw new Error('mail is off');
    const mail = job.payload as MailMessage;
    const rendered = renderMail(mail);
    // The job id as Message-ID: a mail re-sent after a crash carries the same id, so a
    // receiving system can tell the copy for what it is.
    const domain = new URL(this.config.publicOrigin).hostname;
    await this.transport.send({ from: this.config.mail.from, to: mail.to, messageId: `<${job.id}@${domain}>`, ...rendered });
  }

  retryDelayMs(attempt: number): number | null {
    return mailRetryDelayMs(attempt);
  }
}
