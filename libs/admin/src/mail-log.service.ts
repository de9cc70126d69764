import { Inject, Injectable } from '@nestjs/common';
import { CursorCodec, paginate, type PageRequest } from '@loomworks/common';
import { APP_CONFIG, type AppConfig } from '@loomworks/config';
import { MAIL_JOB_KIND, OutboxQueue, type JobStatus } from '@loomworks/outbox';
import type { MailLogPageSchema } from './views';


const MAIL_CURSOR = CursorCodec.keyset('mail');

/** GET /admin/mail: what was mailed to whom and how it went — never a body or a link. */
@Injectable()
export class MailLogService {
  constructor(
    private readonly queue: OutboxQueue,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The page, and whether mail is on at all (the console offers mailing only then). */
  async list(q: { status?: JobStatus } & PageRequest): Promise<MailLogPageSchema> {
    const page = await paginate(q, {
      cursor: MAIL_CURSOR,
      fetch: (take, after) => this.queue.list({ kind: MAIL_JOB_KIND, status: q.status, limit: take, after: after && { createdAt: after.at, id: after.id } }),
      position: (j) => ({ at: j.createdAt, id: j.id }),
      item: (j) => ({
        id: j.id,
        to: String(j.summary.to ?? ''),
        template: String(j.summary.template ?? ''),
        status: j.status,
        attempts: j.attempts,
        lastError: j.lastError,
        createdAt: j.createdAt.toISOString(),
        sentAt: j.status === 'sent' && j.finishedAt ? j.finishedAt.toISOString() : null,
      }),
    });
    return { ...page, mail: this.config.mail.smtpUrl ? 'on' : 'off' };
  }
}
