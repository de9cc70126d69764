import { Injectable } from '@nestjs/common';
import { decodeKeysetCursor, encodeKeysetCursor } from '@loomworks/common';
import { MAIL_JOB_KIND, OutboxQueue, type JobStatus } from '@loomworks/outbox';

export interface MailLogItem {
  id: string;
  to: string;
  template: string;
  status: JobStatus;
  attempts: number;
  lastError: string | null;
  createdAt: string;
  sentAt: string | null;
}

/** GET /admin/mail: what was mailed to whom and how it went — never a body or a link. */
@Injectable()
export class MailLogService {
  constructor(private readonly queue: OutboxQueue) {}

  async list(q: { status?: JobStatus; limit?: number; cursor?: string }): Promise<{ items: MailLogItem[]; nextCursor: string | null }> {
    const limit = q.limit ?? 50;
    const after = q.cursor === undefined ? undefined : decodeKeysetCursor(q.cursor);
    const jobs = await this.queue.list({ kind: MAIL_JOB_KIND, status: q.status, limit: limit + 1, after: after && { createdAt: after.at, id: after.id } });
    const page = jobs.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map((j) => ({
        id: j.id,
        to: String(j.summary.to ?? ''),
        template: String(j.summary.template ?? ''),
        status: j.status,
        attempts: j.attempts,
        lastError: j.lastError,
        createdAt: j.createdAt.toISOString(),
        sentAt: j.status === 'sent' && j.finishedAt ? j.finishedAt.toISOString() : null,
      })),
      nextCursor: jobs.length > limit ? encodeKeysetCursor(last.createdAt, last.id) : null,
    };
  }
}
