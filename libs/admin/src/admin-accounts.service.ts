import { Inject, Injectable } from '@nestjs/common';
import { SessionsService } from '@loomworks/auth';
import { CREDIT_SEAM, type CreditSeam } from '@loomworks/credit';
import { GrantsService } from '@loomworks/credit/staff';
import { Transactions } from '@loomworks/database';
import { anonymizedEmail, PersonsService, toPersonView, type Person, type PersonViewSchema } from '@loomworks/persons';
import { AuditService } from './audit.service';
import { CursorCodec, paginate, type PageRequest } from '@loomworks/common';
import type { PersonListSchema } from './views';

const PERSON_CURSOR = CursorCodec.keyset('persons');

export type AccountAction = 'suspend' | 'reactivate' | 'delete';

/** Staff's account use cases: find a person by email, suspend, reactivate, delete. */
@Injectable()
export class AdminAccountsService {
  constructor(
    private readonly transactions: Transactions,
    private readonly audit: AuditService,
    private readonly persons: PersonsService,
    private readonly grants: GrantsService,
    private readonly sessions: SessionsService,
    @Inject(CREDIT_SEAM) private readonly credit: CreditSeam,
  ) {}

  /** Suspend, reactivate or delete, with the audit entry in the same transaction; deletion also ends every session. */
  changeAccount(actor: Person, personId: string, action: AccountAction) {
    return this.transactions.run(async (tx) => {
      let person: Person;
      let details: Record<string, unknown> = {};
      if (action === 'suspend') person = await this.credit.suspendAccount(personId, tx);
      else if (action === 'reactivate') person = await this.credit.reactivateAccount(personId, tx);
      else {
        person = await this.credit.deleteAccount(personId, tx);
        details = { endedSessions: await this.sessions.endAll(tx, personId) };
      }
      await this.audit.record(tx, { actorPersonId: actor.id, action: `person.${action}`, subjectType: 'person', subjectId: personId, details });
      return toPersonView(person);
    });
  }

  /**
   * By `email`: the exact or normalized address, deleted persons by the hash their anonymised
   * address keeps (one page). Else by `q`, part of an address or a name, or everyone: newest first, paged.
   */
  async searchPersons(query: { email?: string; q?: string } & PageRequest): Promise<PersonListSchema> {
    const { email } = query;
    if (email) {
      const linked = await this.grants.personIdsForEmail(email);
      const found = await this.persons.findMatching(linked, [email, anonymizedEmail(email)]);
      return { items: found.map(toPersonView), nextCursor: null };
    }
    return paginate(query, {
      cursor: PERSON_CURSOR,
      fetch: (take, after) => this.persons.search(query.q, take, after && { createdAt: after.at, id: after.id }),
      position: (p) => ({ at: p.createdAt, id: p.id }),
      item: toPersonView,
    });
  }

  /** One person, as the console's person page shows them. */
  async person(personId: string): Promise<PersonViewSchema> {
    return toPersonView(await this.persons.getById(personId));
  }
}
