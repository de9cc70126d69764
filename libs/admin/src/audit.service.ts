import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, ValidationFailedError, type Clock } from '@loomworks/common';
import { Transactions, type Tx } from '@loomworks/database';

export interface AuditEntry {
  actorPersonId: string;
  action: string;
  subjectType: 'grant' | 'person' | 'rate' | 'config' | 'webhook';
  subjectId: string;
  details?: Record<string, unknown>;
}

export interface AuditRecord extends Required<AuditEntry> {
  id: string;
  createdAt: string;
}

interface AuditRow {
  id: string;
  actor_person_id: string;
  action: string;
  subject_type: AuditEntry['subjectType'];
  subject_id: string;
  details: Record<string, unknown>;
  created_at: Date;
}

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

  /** Newest first; the cursor is the last id seen. */
  async list(limit = 50, cursor?: string): Promise<{ items: AuditRecord[]; nextCursor: string | null }> {
    if (cursor !== undefined && !/^\d{1,19}$/.test(cursor)) {
      throw new ValidationFailedError([{ field: 'cursor', message: 'cursor is not one this API issued' }]);
    }
    const rows: AuditRow[] = await this.transactions.manager.query(
      `SELECT id::text, actor_person_id, action, subject_type, subject_id, details, created_at FROM admin_audit
        WHERE ($1::bigint IS NULL OR id < $1::bigint) ORDER BY id DESC LIMIT $2`,
      [cursor ?? null, limit + 1],
    );
    const page = rows.slice(0, limit);
    return {
      items: page.map((r) => ({
        id: r.id,
        actorPersonId: r.actor_person_id,
        action: r.action,
        subjectType: r.subject_type,
        subjectId: r.subject_id,
        details: r.details,
        createdAt: r.created_at.toISOString(),
      })),
      nextCursor: rows.length > limit ? page[page.length - 1].id : null,
    };
  }
}
