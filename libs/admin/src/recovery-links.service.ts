import { Injectable } from '@nestjs/common';
import { RecoveryService } from '@loomworks/auth';
import { Transactions } from '@loomworks/database';
import type { Person } from '@loomworks/persons';
import { AuditService } from './audit.service';

/** POST /admin/persons/:id/recovery: the link, its mail and its audit entry in one transaction. */
@Injectable()
export class RecoveryLinksService {
  constructor(
    private readonly transactions: Transactions,
    private readonly recovery: RecoveryService,
    private readonly audit: AuditService,
  ) {}

  issue(actor: Person, personId: string, sendEmail?: boolean) {
    return this.transactions.run(async (tx) => {
      const issued = await this.recovery.issue(tx, { personId, issuedBy: actor.id, sendEmail });
      await this.audit.record(tx, {
        actorPersonId: actor.id,
        action: 'person.recovery',
        subjectType: 'person',
        subjectId: personId,
        details: { expiresAt: issued.expiresAt.toISOString(), mail: issued.mail.status },
      });
      return { recoveryUrl: issued.recoveryUrl, expiresAt: issued.expiresAt.toISOString(), mail: issued.mail };
    });
  }
}
