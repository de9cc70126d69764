import { Injectable } from '@nestjs/common';
import { ForbiddenError } from '@loomworks/common';
import { PersonsService, type Membership } from '@loomworks/persons';

/** Engagement access: 404 when it does not exist, 403 `forbidden` for non-members. */
@Injectable()
export class MembershipService {
  constructor(private readonly persons: PersonsService) {}

  async requireMember(engagementId: string, personId: string): Promise<Membership> {
    const membership = await this.persons.membership(engagementId, personId);
    if (!membership) throw new ForbiddenError('You are not a member of this engagement');
    return membership;
  }

  async requireOwner(engagementId: string, personId: string): Promise<void> {
    if ((await this.requireMember(engagementId, personId)).role !== 'owner') throw new ForbiddenError('Only the engagement owner may do this');
  }
}
