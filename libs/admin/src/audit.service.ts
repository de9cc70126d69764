import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, CursorCodec, paginate, type Clock, type Page, type PageRequest } from '@loomworks/common';
import type { Tx } from '@loomworks/database';
import type { AuditEntry } from './domain/audit';
import { AuditRepository } from './persistence/audit.repository';
import type { AuditEntrySchema } from './views';

export type { AuditEntry } from './domain/audit';

/** An entry as GET /admin/audit shows it. */
export type AuditRecord = AuditEntrySchema;

const AUDIT_CURSOR = CursorCodec.sequence('audit');

/** The admin audit trail; entries are written in the transaction of the action they describe. */
@Injectable()
export class AuditService {
  constructor(
    private readonly audit: AuditRepository,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  record(tx: Tx, entry: AuditEntry): Promise<void> {
    return this.audit.insert(tx, entry, this.clock.now());
  }

  /** Newest first, by id. */
  list(request: PageRequest): Promise<Page<AuditRecord>> {
    return paginate(request, {
      cursor: AUDIT_CURSOR,
      fetch: (take, before) => this.audit.newest(take, before?.id ?? null),
      position: (e) => ({ id: e.id }),
      item: (e) => ({ ...e, createdAt: e.createdAt.toISOString() }),
    });
  }
}
