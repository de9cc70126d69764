import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import { canonicalEmail, CLOCK, type Clock } from '@loomworks/common';
import { Transactions, type Tx } from '@loomworks/database';
import { SecretBox } from '@loomworks/system-config';
import {
  anonymizedEmail,
  canTransition,
  EmailTakenError,
  EngagementNotFoundError,
  InvalidAccountTransitionError,
  PersonNotFoundError,
  type AccountStatus,
  type Person,
  type Role,
} from './domain/person';
import { EngagementEntity, EngagementMemberEntity, type EngagementRole } from './persistence/engagement.entity';
import { PersonEntity, toPerson } from './persistence/person.entity';

export interface CreatePersonCommand {
  email: string;
  displayName: string;
  role?: Role;
}

export interface EngagementSummary {
  id: string;
  name: string;
  personal: boolean;
  role: EngagementRole;
}

export interface StatusTransition {
  from: AccountStatus;
  person: Person;
}

const LIVE_EMAIL_INDEX = 'persons_live_email_key';

@Injectable()
export class PersonsService {
  constructor(
    private readonly transactions: Transactions,
    private readonly secrets: SecretBox,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Creates a person with their personal engagement, in the caller's transaction. */
  async createPerson(tx: Tx, command: CreatePersonCommand): Promise<Person> {
    const now = this.clock.now();
    const personId = randomUUID();
    const engagementId = randomUUID();
    const person = tx.create(PersonEntity, {
      id: personId,
      email: canonicalEmail(command.email),
      displayName: command.displayName.trim(),
      role: command.role ?? 'member',
      accountStatus: 'active',
      statusChangedAt: null,
      previousStatus: null,
      previousStatusChangedAt: null,
      personalEngagementId: engagementId,
      referredBy: null,
      llmKeyEncrypted: null,
      createdAt: now,
    });
    try {
      await tx.insert(PersonEntity, person);
    } catch (error) {
      if (error instanceof QueryFailedError && (error.driverError as { constraint?: string }).constraint === LIVE_EMAIL_INDEX) {
        throw new EmailTakenError();
      }
      throw error;
    }
    await tx.insert(EngagementEntity, {
      id: engagementId,
      name: `${person.displayName}'s engagement`,
      personal: true,
      ownerPersonId: personId,
      llmKeyEncrypted: null,
      createdAt: now,
    });
    await tx.insert(EngagementMemberEntity, { engagementId, personId, role: 'owner', createdAt: now });
    return toPerson(person);
  }

  async findById(personId: string, tx?: Tx): Promise<Person | null> {
    const row = await (tx ?? this.transactions.manager).findOneBy(PersonEntity, { id: personId });
    return row && toPerson(row);
  }

  async getById(personId: string, tx?: Tx): Promise<Person> {
    const person = await this.findById(personId, tx);
    if (!person) throw new PersonNotFoundError(personId);
    return person;
  }

  /** The active or suspended person with this address (deleted persons no longer own it). */
  async findLiveByEmail(email: string, tx?: Tx): Promise<Person | null> {
    const row = await (tx ?? this.transactions.manager)
      .createQueryBuilder(PersonEntity, 'p')
      .where('p.email = :email', { email: canonicalEmail(email) })
      .andWhere("p.account_status <> 'deleted'")
      .getOne();
    return row && toPerson(row);
  }

  /** Persons (any status) with one of these ids or canonical addresses, newest first. */
  async findMatching(ids: string[], emails: string[]): Promise<Person[]> {
    if (ids.length === 0 && emails.length === 0) return [];
    const rows = await this.transactions.manager
      .createQueryBuilder(PersonEntity, 'p')
      .where('p.id = ANY(:ids) OR p.email = ANY(:emails)', { ids, emails: emails.map(canonicalEmail) })
      .orderBy('p.created_at', 'DESC')
      .getMany();
    return rows.map(toPerson);
  }

  /**
   * Locks the person's row for the rest of the caller's transaction: status changes and ledger
   * writes for one person serialize on it. NO KEY UPDATE, so inserts that merely reference the
   * person (flows, sessions) are not blocked by it.
   */
  async lockById(tx: Tx, personId: string): Promise<Person> {
    const row = await tx.findOne(PersonEntity, { where: { id: personId }, lock: { mode: 'for_no_key_update' } });
    if (!row) throw new PersonNotFoundError(personId);
    return toPerson(row);
  }

  /**
   * Moves the account along the state machine, recording when and from what. Deleting also
   * replaces the email with its deterministic anonymised form.
   */
  async transitionStatus(tx: Tx, personId: string, to: AccountStatus): Promise<StatusTransition> {
    const current = await this.lockById(tx, personId);
    if (!canTransition(current.accountStatus, to)) throw new InvalidAccountTransitionError(current.accountStatus, to);
    const changes: Partial<PersonEntity> = {
      accountStatus: to,
      statusChangedAt: this.clock.now(),
      previousStatus: current.accountStatus,
      previousStatusChangedAt: current.statusChangedAt,
    };
    if (to === 'deleted') {
      changes.email = anonymizedEmail(current.email);
      changes.llmKeyEncrypted = null;
    }
    await tx.update(PersonEntity, { id: personId }, changes);
    return { from: current.accountStatus, person: { ...current, ...changes } as Person };
  }

  async setReferredBy(tx: Tx, personId: string, referrerId: string): Promise<void> {
    await tx.update(PersonEntity, { id: personId }, { referredBy: referrerId });
  }

  async setRole(tx: Tx, personId: string, role: Role): Promise<void> {
    await tx.update(PersonEntity, { id: personId }, { role });
  }

  /** Stores (encrypted) or clears the person's own LLM key. */
  async setPersonLlmKey(personId: string, apiKey: string | null): Promise<void> {
    if (!(await this.storeLlmKey(PersonEntity, personId, apiKey))) throw new PersonNotFoundError(personId);
  }

  personLlmKey(personId: string): Promise<string | null> {
    return this.readLlmKey(PersonEntity, personId);
  }

  /** Stores (encrypted) or clears the engagement's operator LLM key. */
  async setEngagementLlmKey(engagementId: string, apiKey: string | null): Promise<void> {
    if (!(await this.storeLlmKey(EngagementEntity, engagementId, apiKey))) throw new EngagementNotFoundError(engagementId);
  }

  engagementLlmKey(engagementId: string): Promise<string | null> {
    return this.readLlmKey(EngagementEntity, engagementId);
  }

  private async storeLlmKey(entity: typeof PersonEntity | typeof EngagementEntity, id: string, apiKey: string | null): Promise<boolean> {
    const encrypted = apiKey === null ? null : this.secrets.encrypt(apiKey);
    const result = await this.transactions.manager.update(entity, { id }, { llmKeyEncrypted: encrypted });
    return Boolean(result.affected);
  }

  private async readLlmKey(entity: typeof PersonEntity | typeof EngagementEntity, id: string): Promise<string | null> {
    const row = await this.transactions.manager.findOne<{ id: string; llmKeyEncrypted: string | null }>(entity, {
      where: { id },
      select: { id: true, llmKeyEncrypted: true },
    });
    return row?.llmKeyEncrypted ? this.secrets.decrypt(row.llmKeyEncrypted) : null;
  }

  /** The person's role in the engagement; EngagementNotFoundError when it does not exist, null when not a member. */
  async membership(engagementId: string, personId: string): Promise<EngagementRole | null> {
    // One round trip: the engagement row tells "exists", the joined member row the role (checked on every turn).
    const [row]: { role: EngagementRole | null }[] = await this.transactions.manager.query(
      `SELECT m.role FROM engagements e
         LEFT JOIN engagement_members m ON m.engagement_id = e.id AND m.person_id = $2
        WHERE e.id = $1`,
      [engagementId, personId],
    );
    if (!row) throw new EngagementNotFoundError(engagementId);
    return row.role;
  }

  async listEngagements(personId: string): Promise<EngagementSummary[]> {
    return this.transactions.manager
      .createQueryBuilder(EngagementEntity, 'e')
      .innerJoin(EngagementMemberEntity, 'm', 'm.engagement_id = e.id')
      .where('m.person_id = :personId', { personId })
      .orderBy('e.created_at', 'ASC')
      .select(['e.id AS id', 'e.name AS name', 'e.personal AS personal', 'm.role AS role'])
      .getRawMany<EngagementSummary>();
  }
}
