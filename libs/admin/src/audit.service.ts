import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, CursorCodec, paginate, type Clock, type Page, type PageRequest } from '@loomworks/common';
import { Transactions, type Tx } from '@loomworks/database';
import type { AuditEntrySchema } from './views';

export interface AuditEntry {
  actorPersonId: string;
  action: string;
  subjectType: 'grant' | 'person' | 'rate' | 'config' | 'webhook';
  subjectId: string;
  details?: Record<string, unknown>;
}

/** An entry as GET /admin/audit shows it. */
export type AuditRecord = AuditEntrySchema;

interface AuditRow {
  id: string;
  actor_person_id: string;
  action: string;
  subject_type: AuditEntry['subjectType'];
  subject_id: string;
  details: Record<string, unknown>;
  created_at: Date;
}

const AUDIT_CURSOR = CursorCodec.sequence('audit');

/** The admin audit trail; entries are written in the transaction of the action they describe. */
@Injectable()
export class AuditService {
  constructor(
    private readonly transactions: Transactions,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async record(tx: Tx, entry: AuditEntry): Promise<void> {
    await tx.query(
      `INSERT INTO admin_audit (actor_person_id, action, subject_type, subject_id, details, created_at)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [entry.actorPersonId, entry.action, entry.subjectType, entry.subjectId, JSON.stringify(entry.details ?? {}), this.clock.now()],
    );
  }

  /** Newest first, by id. */
  list(request: PageRequest): Promise<Page<AuditRecord>> {
    return paginate(request, {
      cursor: AUDIT_CURSOR,
      fetch: (take, before): Promise<AuditRow[]> =>
        this.transactions.manager.query(
          `SELECT id::text, actor_person_id, action, subject_type, subject_id, details, created_at FROM admin_audit
            WHERE ($1::bigint IS NULL OR admin_audit.id < $1::bigint) ORDER BY admin_audit.id DESC LIMIT $2`,
          [before?.id ?? null, take],
        ),
      position: (r) => ({ id: r.id }),
      item: (r) => ({
        id: r.id,
        actorPersonId: r.actor_person_id,
        action: r.action,
        subjectType: r.subject_type,
        subjectId: r.subject_id,
        details: r.details,
        createdAt: r.created_at.toISOString(),
      }),
    });
  }
}
