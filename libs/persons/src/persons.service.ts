import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { canonicalEmail, CLOCK, type Clock } from '@loomworks/common';
import { Transactions, type Tx } from '@loomworks/database';
import { SecretBox } from '@loomworks/system-config';
import {
  anonymizedEmail,
  canTransition,
  EngagementNotFoundError,
  InvalidAccountTransitionError,
  LastOwnerError,
  MemberNotFoundError,
  PersonNotFoundError,
  type AccountStatus,
  type Member,
  type MemberChange,
  type SpendLimit,
  type Membership,
  type EngagementRole,
  type EngagementSummary,
  type Person,
  type Role,
} from './domain/person';
import { PersonsRepository, type StatusChange } from './persistence/persons.repository';

export interface CreatePersonCommand {
  email: string;
  displayName: string;
  role?: Role;
}

export interface StatusTransition {
  from: AccountStatus;
  person: Person;
}

@Injectable()
export class PersonsService {
  constructor(
    private readonly repository: PersonsRepository,
    private readonly secrets: SecretBox,
    private readonly transactions: Transactions,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Creates a person with their personal engagement, in the caller's transaction. */
  async createPerson(tx: Tx, command: CreatePersonCommand): Promise<Person> {
    const person: Person = {
      id: randomUUID(),
      email: canonicalEmail(command.email),
      displayName: command.displayName.trim(),
      role: command.role ?? 'member',
      accountStatus: 'active',
      statusChangedAt: null,
      previousStatus: null,
      previousStatusChangedAt: null,
      personalEngagementId: randomUUID(),
      referredBy: null,
      createdAt: this.clock.now(),
    };
    await this.repository.insertWithPersonalEngagement(tx, person, `${person.displayName}'s engagement`);
    return person;
  }

  findById(personId: string, tx?: Tx): Promise<Person | null> {
    return this.repository.findById(personId, tx);
  }

  async getById(personId: string, tx?: Tx): Promise<Person> {
    const person = await this.findById(personId, tx);
    if (!person) throw new PersonNotFoundError(personId);
    return person;
  }

  /** The active or suspended person with this address (deleted persons no longer own it). */
  findLiveByEmail(email: string, tx?: Tx): Promise<Person | null> {
    return this.repository.findLiveByEmail(canonicalEmail(email), tx);
  }

  /** Whether an active or suspended admin exists: the first run has none until `admin:bootstrap`. */
  hasLiveAdmin(): Promise<boolean> {
    return this.repository.hasLiveAdmin();
  }

  /** Persons whose address or name contains the text (any case), newest first, a page at a time. */
  search(text: string | undefined, take: number, after?: { createdAt: Date; id: string }): Promise<Person[]> {
    return this.repository.search(text?.trim() || undefined, take, after);
  }

  /** Persons (any status) with one of these ids or canonical addresses, newest first. */
  async findMatching(ids: string[], emails: string[]): Promise<Person[]> {
    if (ids.length === 0 && emails.length === 0) return [];
    return this.repository.findMatching(ids, emails.map(canonicalEmail));
  }

  /**
   * Locks the person's row for the rest of the caller's transaction: status changes and ledger
   * writes for one person serialize on it.
   */
  async lockById(tx: Tx, personId: string): Promise<Person> {
    const person = await this.repository.lockById(tx, personId);
    if (!person) throw new PersonNotFoundError(personId);
    return person;
  }

  /**
   * Moves the account along the state machine, recording when and from what. Deleting also
   * replaces the email with its deterministic anonymised form and drops the person's LLM keys
   * (their own and their personal engagement's operator key).
   */
  async transitionStatus(tx: Tx, personId: string, to: AccountStatus): Promise<StatusTransition> {
    const current = await this.lockById(tx, personId);
    if (!canTransition(current.accountStatus, to)) throw new InvalidAccountTransitionError(current.accountStatus, to);
    const change: StatusChange = {
      accountStatus: to,
      statusChangedAt: this.clock.now(),
      previousStatus: current.accountStatus,
      previousStatusChangedAt: current.statusChangedAt,
      ...(to === 'deleted' ? { email: anonymizedEmail(current.email), clearLlmKey: true } : {}),
    };
    await this.repository.updateStatus(tx, personId, change);
    const { clearLlmKey: _dropped, ...changed } = change;
    return { from: current.accountStatus, person: { ...current, ...changed } };
  }

  setReferredBy(tx: Tx, personId: string, referrerId: string): Promise<void> {
    return this.repository.setReferredBy(tx, personId, referrerId);
  }

  setRole(tx: Tx, personId: string, role: Role): Promise<void> {
    return this.repository.setRole(tx, personId, role);
  }

  /** Stores (encrypted) or clears the person's own LLM key. */
  async setPersonLlmKey(personId: string, apiKey: string | null): Promise<void> {
    if (!(await this.repository.setLlmKey('person', personId, this.encrypted(apiKey)))) throw new PersonNotFoundError(personId);
  }

  /** Whether the person has an own LLM key stored (read without decrypting it). */
  async hasPersonLlmKey(personId: string): Promise<boolean> {
    return (await this.repository.llmKey('person', personId)) !== null;
  }

  async personLlmKey(personId: string): Promise<string | null> {
    return this.decrypted(await this.repository.llmKey('person', personId));
  }

  /** Stores (encrypted) or clears the engagement's operator LLM key. */
  async setEngagementLlmKey(engagementId: string, apiKey: string | null): Promise<void> {
    if (!(await this.repository.setLlmKey('engagement', engagementId, this.encrypted(apiKey)))) throw new EngagementNotFoundError(engagementId);
  }

  async engagementLlmKey(engagementId: string): Promise<string | null> {
    return this.decrypted(await this.repository.llmKey('engagement', engagementId));
  }

  /** The person's role in the engagement and its kind; EngagementNotFoundError when it does not exist, null when not a member. */
  async membership(engagementId: string, personId: string): Promise<Membership | null> {
    const membership = await this.repository.membership(engagementId, personId);
    if (membership === undefined) throw new EngagementNotFoundError(engagementId);
    return membership;
  }

  /** Creates a team engagement owned by its creator; its pool starts empty. */
  async createTeamEngagement(ownerPersonId: string, name: string): Promise<EngagementSummary> {
    const team = { id: randomUUID(), name, ownerPersonId, createdAt: this.clock.now() };
    await this.repository.insertTeamEngagement(team);
    return { id: team.id, name, personal: false, role: 'owner' };
  }

  /** Adds a person to an engagement (with a limit within its pool); false when they already are a member. */
  addMember(engagementId: string, personId: string, role: EngagementRole, limit?: SpendLimit | null): Promise<boolean> {
    return this.repository.insertMember({ engagementId, personId, role, createdAt: this.clock.now(), limit });
  }

  /** EngagementNotFoundError unless the engagement exists and is a team's (not a personal one). */
  async requireTeam(engagementId: string): Promise<void> {
    if (!(await this.repository.isTeam(engagementId))) throw new EngagementNotFoundError(engagementId);
  }

  /** A team's members (owners first), or only `personId` among them. */
  members(engagementId: string, personId?: string): Promise<Member[]> {
    return this.repository.members(engagementId, personId);
  }

  /**
   * Changes a member's role or limit, or removes them (`'remove'`), never leaving the team
   * without an owner (LastOwnerError); MemberNotFoundError when they are not a member.
   */
  async changeMember(engagementId: string, personId: string, change: MemberChange | 'remove'): Promise<Member | null> {
    return this.transactions.run(async (tx) => {
      const outcome = await this.repository.changeMember(tx, engagementId, personId, change);
      if (outcome === 'no_engagement') throw new EngagementNotFoundError(engagementId);
      if (outcome === 'not_found') throw new MemberNotFoundError();
      if (outcome === 'last_owner') throw new LastOwnerError();
      if (change === 'remove') return null;
      const [member] = await this.repository.members(engagementId, personId, tx);
      return member;
    });
  }

  listEngagements(personId: string): Promise<EngagementSummary[]> {
    return this.repository.listEngagements(personId);
  }

  private encrypted(apiKey: string | null): string | null {
    return apiKey === null ? null : this.secrets.encrypt(apiKey);
  }

  private decrypted(token: string | null): string | null {
    return token ? this.secrets.decrypt(token) : null;
  }
}
