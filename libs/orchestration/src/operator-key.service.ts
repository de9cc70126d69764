import { Injectable } from '@nestjs/common';
import { PersonsService } from '@loomworks/persons';
import { MembershipService } from './membership.service';

export interface SetOperatorKeyCommand {
  engagementId: string;
  /** who asks: only the engagement's owner may set its key */
  personId: string;
  /** the key to store (encrypted by persons), or null to remove it */
  apiKey: string | null;
}

/** The engagement's operator LLM key, which pays for its members' turns before their own or the system's. */
@Injectable()
export class OperatorKeyService {
  constructor(
    private readonly membership: MembershipService,
    private readonly persons: PersonsService,
  ) {}

  async set({ engagementId, personId, apiKey }: SetOperatorKeyCommand): Promise<void> {
    await this.membership.requireOwner(engagementId, personId);
    await this.persons.setEngagementLlmKey(engagementId, apiKey);
  }
}
