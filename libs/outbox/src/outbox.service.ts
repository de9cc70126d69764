import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, type Clock } from '@loomworks/common';
import { APP_CONFIG, type AppConfig } from '@loomworks/config';
import { ReadReplica, type Tx } from '@loomworks/database';
import { SecretBox } from '@loomworks/system-config';
import { EVENT_JOB_KIND, type EventType } from './domain/events';
import type { OutboxEvent } from './domain/jobs';
import { MAIL_JOB_KIND, type MailMessage, type MailStatus } from './domain/mail';
import { OutboxRepository } from './persistence/outbox.repository';

export interface EnqueueJobCommand {
  /** which worker handler runs it, e.g. `mail` */
  kind: string;
  /** stored encrypted; erased once the job is sent or given up */
  payload: unknown;
  /** non-secret fields staff may see in listings (never a credential) */
  summary?: Record<string, unknown>;
  /** not before this time (default: now) */
  runAt?: Date;
}

export interface RecordEventCommand {
  type: EventType;
  /** ids and amounts, never secrets */
  data: Record<string, unknown>;
}

/**
 * The write side of the outbox. Every method takes the caller's transaction: a job or event
 * exists exactly when its cause committed, so a rolled-back grant never mails its claim URL
 * and a committed one can't lose it.
 */
@Injectable()
export class Outbox {
  constructor(
    private readonly repository: OutboxRepository,
    private readonly replica: ReadReplica,
    private readonly secretBox: SecretBox,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Mail is on when SMTP_URL is configured. */
  get mailEnabled(): boolean {
    return this.config.mail.smtpUrl !== undefined;
  }

  /** Queues a mail in `tx`; with mail off nothing is queued and the answer says `off`. */
  async enqueueMail(tx: Tx, mail: MailMessage): Promise<MailStatus> {
    if (!this.mailEnabled) return { status: 'off' };
    await this.enqueue(tx, { kind: MAIL_JOB_KIND, payload: mail, summary: { to: mail.to, template: mail.template } });
    return { status: 'queued' };
  }

  /** Queues a job of any kind in `tx`; returns its id. */
  async enqueue(tx: Tx, job: EnqueueJobCommand): Promise<string> {
    const id = randomUUID();
    const now = this.clock.now();
    await this.repository.insertJob(tx, {
      id,
      kind: job.kind,
      payloadEncrypted: this.secretBox.encrypt(JSON.stringify(job.payload)),
      summary: job.summary ?? {},
      runAt: job.runAt ?? now,
      now,
    });
    return id;
  }

  /** Writes a business event to `events` in `tx` (transactional outbox). */
  async recordEvent(tx: Tx, event: RecordEventCommand): Promise<OutboxEvent> {
    const recorded: OutboxEvent = { id: randomUUID(), type: event.type, timestamp: this.clock.now(), data: event.data };
    await this.repository.insertEvent(tx, recorded);
    // Its hand-over to webhook endpoints travels with it: an event of a rolled-back transaction
    // is never delivered, and a committed one is not lost.
    await this.enqueue(tx, { kind: EVENT_JOB_KIND, payload: recorded, summary: { eventId: recorded.id, type: recorded.type } });
    return recorded;
  }

  /** Events, newest first (keyset on timestamp, id); `type` filters. */
  listEvents(q: { type?: string; limit: number; after?: { timestamp: Date; id: string } }): Promise<OutboxEvent[]> {
    // An admin list: lag-tolerant: from the read replica when one is configured (DESIGN.md "Scaling and failover").
    return this.repository.listEvents(this.replica.readOnly(), q);
  }
}
