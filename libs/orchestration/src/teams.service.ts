import { Inject, Injectable } from '@nestjs/common';
import { ForbiddenError } from '@loomworks/common';
import { creditAsOfView, type CreditAsOfSchema, creditSummaryView, CREDIT_SEAM, memberViews, type CreditSeam, type CreditViewSchema } from '@loomworks/credit';
import {
  EngagementNotFoundError,
  PersonNotFoundError,
  PersonsService,
  type EngagementRole,
  type EngagementSummary,
  type Member,
  type MemberChange,
  type SpendLimit,
} from '@loomworks/persons';
import { AlreadyMemberError } from './domain/errors';
import { MembershipService } from './membership.service';
import type { MemberViewSchema } from './views';

/**
 * Team engagements (DESIGN.md "Spend limits and team pools"): a person creates one and owns it,
 * owners add existing accounts by email, set roles and per-member limits and remove members (never
 * the last owner), and every member's system-key turns there are paid by the team's pool, which
 * staff fund, within the member's limit.
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
  async addMember(engagementId: string, actorPersonId: string, member: { email: string; role?: EngagementRole; limit?: SpendLimit }): Promise<MemberViewSchema> {
    await this.requireTeamOwner(engagementId, actorPersonId);
    const person = await this.persons.findLiveByEmail(member.email);
    if (!person) throw new PersonNotFoundError(member.email);
    const role = member.role ?? 'member';
    if (!(await this.persons.addMember(engagementId, person.id, role, member.limit ?? null))) throw new AlreadyMemberError();
    const [added] = await this.memberViews(engagementId, await this.persons.members(engagementId, person.id));
    return added;
  }

  /** Owners see every member; a member sees only themself. */
  async members(engagementId: string, personId: string): Promise<MemberViewSchema[]> {
    const { role, personal } = await this.membership.requireMember(engagementId, personId);
    if (personal) throw new EngagementNotFoundError(engagementId);
    return this.memberViews(engagementId, await this.persons.members(engagementId, role === 'owner' ? undefined : personId));
  }

  /** Owners only: a member's role or limit (`limit: null` removes it); never the last owner away. */
  async changeMember(engagementId: string, actorPersonId: string, personId: string, change: MemberChange): Promise<MemberViewSchema> {
    await this.requireTeamOwner(engagementId, actorPersonId);
    const member = await this.persons.changeMember(engagementId, personId, change);
    const [view] = await this.memberViews(engagementId, [member!]);
    return view;
  }

  /** Owners remove anyone, a member themself (leaving); never the last owner. */
  async removeMember(engagementId: string, actorPersonId: string, personId: string): Promise<void> {
    if (actorPersonId === personId) {
      const { personal } = await this.membership.requireMember(engagementId, actorPersonId);
      if (personal) throw new EngagementNotFoundError(engagementId);
    } else {
      await this.requireTeamOwner(engagementId, actorPersonId);
    }
    await this.persons.changeMember(engagementId, personId, 'remove');
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

  private memberViews(engagementId: string, members: Member[]): Promise<MemberViewSchema[]> {
    return memberViews(this.credit, engagementId, members);
  }

  private async requireTeamOwner(engagementId: string, personId: string): Promise<void> {
    const { role, personal } = await this.membership.requireMember(engagementId, personId);
    if (personal) throw new EngagementNotFoundError(engagementId);
    if (role !== 'owner') throw new ForbiddenError('Only the team’s owners may do this');
  }
}
