import { Inject, Injectable } from '@nestjs/common';
import { creditAsOfView, type CreditAsOfSchema, creditSummaryView, CREDIT_SEAM, type CreditSeam, type CreditViewSchema } from '@loomworks/credit';
import { EngagementNotFoundError, PersonNotFoundError, PersonsService, type EngagementRole, type EngagementSummary } from '@loomworks/persons';
import { AlreadyMemberError } from './domain/errors';
import { MembershipService } from './membership.service';

/**
 * Team engagements (DESIGN.md "Spend limits and team pools"): a person creates one and owns it,
 * owners add existing accounts by email, and every member's system-key turns there are paid by
 * the team's pool, which staff fund.
 */
@Injectable()
export class TeamsService {
  constructor(
    private readonly persons: PersonsService,
    private readonly membership: MembershipService,
    @Inject(CREDIT_SEAM) private readonly credit: CreditSeam,
  ) {}

  create(ownerPersonId: string, name: string): Promise<EngagementSummary> {
    return this.persons.createTeamEngagement(ownerPersonId, name);
  }

  /** Owners only; the member is an existing live account, found by its address. */
  async addMember(engagementId: string, actorPersonId: string, member: { email: string; role?: EngagementRole }) {
    await this.membership.requireOwner(engagementId, actorPersonId);
    const person = await this.persons.findLiveByEmail(member.email);
    if (!person) throw new PersonNotFoundError(member.email);
    const role = member.role ?? 'member';
    if (!(await this.persons.addMember(engagementId, person.id, role))) throw new AlreadyMemberError();
    return { personId: person.id, email: person.email, displayName: person.displayName, role };
  }

  /** The pool's credit, for its members and owners; a personal engagement has no pool. */
  async poolCredit(engagementId: string, personId: string): Promise<CreditViewSchema> {
    const { personal } = await this.membership.requireMember(engagementId, personId);
    if (personal) throw new EngagementNotFoundError(engagementId);
    return creditSummaryView(await this.credit.poolCreditSummary(engagementId));
  }

  /** The pool's ledger balances at a past instant, for the same people. */
  async poolCreditAsOf(engagementId: string, personId: string, at: Date): Promise<CreditAsOfSchema> {
    const { personal } = await this.membership.requireMember(engagementId, personId);
    if (personal) throw new EngagementNotFoundError(engagementId);
    return creditAsOfView(await this.credit.poolBalancesAsOf(engagementId, at), at);
  }
}
