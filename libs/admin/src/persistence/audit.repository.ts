import { Injectable } from '@nestjs/common';
import { ReadReplica, type Tx } from '@loomworks/database';
import type { AuditEntry, StoredAuditEntry } from '../domain/audit';

interface AuditRow {
  id: string;
  actor_person_id: string;
  action: string;
  subject_type: AuditEntry['subjectType'];
  subject_id: string;
  details: Record<string, unknown>;
  created_at: Date;
}

/** admin_audit: append-only. */
@Injectable()
export class AuditRepository {
  constructor(private readonly replica: ReadReplica) {}

  async insert(tx: Tx, entry: AuditEntry, at: Date): Promise<void> {
    await tx.query(
      `INSERT INTO admin_audit (actor_person_id, action, subject_type, subject_id, details, created_at)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [entry.actorPersonId, entry.action, entry.subjectType, entry.subjectId, JSON.stringify(entry.details ?? {}), at],
    );
  }

  /** Newest first, `take` entries with an id below `beforeId` (all when null). */
  async newest(take: number, beforeId: string | null): Promise<StoredAuditEntry[]> {
    // An admin list: lag-tolerant: from the read replica when one is configured (DESIGN.md "Scaling and failover").
    const rows: AuditRow[] = await this.replica.readOnly().query(
      `SELECT id::text, actor_person_id, action, subject_type, subject_id, details, created_at FROM admin_audit
        WHERE ($1::bigint IS NULL OR admin_audit.id < $1::bigint) ORDER BY admin_audit.id DESC LIMIT $2`,
      [beforeId, take],
    );
    return rows.map((r) => ({
      id: r.id,
      actorPersonId: r.actor_person_id,
      action: r.action,
      subjectType: r.subject_type,
      subjectId: r.subject_id,
      details: r.details,
      createdAt: r.created_at,
    }));
  }
}
