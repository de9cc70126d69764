import { Injectable } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import { ReadReplica, Transactions, type Tx } from '@loomworks/database';
import { EmailTakenError, type AccountStatus, type EngagementRole, type EngagementSummary, type LimitPeriod, type Member, type MemberChange, type Membership, type Person, type Role, type SpendLimit } from '../domain/person';
import { EngagementEntity, EngagementMemberEntity } from './engagement.entity';
import { PersonEntity, toPerson } from './person.entity';

const LIVE_EMAIL_INDEX = 'persons_live_email_key';

/** What changes with a status transition (the email and the LLM key only on deletion). */
export interface StatusChange {
  accountStatus: AccountStatus;
  statusChangedAt: Date;
  previousStatus: AccountStatus;
  previousStatusChangedAt: Date | null;
  email?: string;
  clearLlmKey?: boolean;
}

/** Where an LLM key is kept: a person's own, or an engagement's operator key. */
export type LlmKeyOwner = 'person' | 'engagement';
const LLM_KEY_TABLE = { person: PersonEntity, engagement: EngagementEntity } as const;

/** persons, engagements and engagement_members; answers domain types, never entities. */
@Injectable()
export class PersonsRepository {
  constructor(
    private readonly transactions: Transactions,
    private readonly replica: ReadReplica,
  ) {}

  /** Inserts the person with their personal engagement (owner); EmailTakenError when a live person has the address. */
  async insertWithPersonalEngagement(tx: Tx, person: Person, engagementName: string): Promise<void> {
    try {
      await tx.insert(PersonEntity, { ...person, llmKeyEncrypted: null });
    } catch (error) {
      if (error instanceof QueryFailedError && (error.driverError as { constraint?: string }).constraint === LIVE_EMAIL_INDEX) {
        throw new EmailTakenError();
      }
      throw error;
    }
    const engagementId = person.personalEngagementId;
    await tx.insert(EngagementEntity, { id: engagementId, name: engagementName, personal: true, ownerPersonId: person.id, llmKeyEncrypted: null, createdAt: person.createdAt });
    await tx.insert(EngagementMemberEntity, { engagementId, personId: person.id, role: 'owner', createdAt: person.createdAt });
  }

  /** A team engagement (not personal: it has a pool) with its creator as its owner. */
  async insertTeamEngagement(team: { id: string; name: string; ownerPersonId: string; createdAt: Date }): Promise<void> {
    await this.transactions.run(async (tx) => {
      await tx.insert(EngagementEntity, { ...team, personal: false, llmKeyEncrypted: null });
      await tx.insert(EngagementMemberEntity, { engagementId: team.id, personId: team.ownerPersonId, role: 'owner', createdAt: team.createdAt });
    });
  }

  /** Adds a member; false when the person already is one. */
  async insertMember(member: { engagementId: string; personId: string; role: EngagementRole; createdAt: Date; limit?: SpendLimit | null }): Promise<boolean> {
    const rows: unknown[] = await this.transactions.manager.query(
      `INSERT INTO engagement_members (engagement_id, person_id, role, created_at, limit_amount, limit_period) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT DO NOTHING RETURNING person_id`,
      [member.engagementId, member.personId, member.role, member.createdAt, member.limit?.amount.toString() ?? null, member.limit?.period ?? null],
    );
    return rows.length === 1;
  }

  async findById(personId: string, tx?: Tx): Promise<Person | null> {
    const row = await (tx ?? this.transactions.manager).findOneBy(PersonEntity, { id: personId });
    return row && toPerson(row);
  }

  /** The active or suspended person with this canonical address. */
  async findLiveByEmail(email: string, tx?: Tx): Promise<Person | null> {
    const row = await (tx ?? this.transactions.manager)
      .createQueryBuilder(PersonEntity, 'p')
      .where('p.email = :email', { email })
      .andWhere("p.account_status <> 'deleted'")
      .getOne();
    return row && toPerson(row);
  }

  /** Whether an active or suspended admin exists (the first run has none). */
  async hasLiveAdmin(): Promise<boolean> {
    const [row]: { found: boolean }[] = await this.transactions.manager.query(
      "SELECT EXISTS (SELECT 1 FROM persons WHERE role = 'admin' AND account_status <> 'deleted') AS found",
    );
    return row.found;
  }

  /**
   * Persons whose address or name contains `text` (any case; all persons without it), newest
   * first, after a (createdAt, id) position. A substring needs a scan: fine for a console's list
   * of thousands, not for millions (a trigram index would be the next step).
   */
  async search(text: string | undefined, take: number, after?: { createdAt: Date; id: string }): Promise<Person[]> {
    // The console's people list: lag-tolerant: from the read replica when one is configured (DESIGN.md "Scaling and failover").
    const query = this.replica.readOnly().createQueryBuilder(PersonEntity, 'p');
    if (text) {
      const pattern = `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      query.andWhere('(p.email ILIKE :pattern OR p.display_name ILIKE :pattern)', { pattern });
    }
    if (after) query.andWhere('(p.created_at, p.id) < (:at, :id)', { at: after.createdAt, id: after.id });
    const rows = await query.orderBy('p.created_at', 'DESC').addOrderBy('p.id', 'DESC').take(take).getMany();
    return rows.map(toPerson);
  }

  /** Persons (any status) with one of these ids or canonical addresses, newest first. */
  async findMatching(ids: string[], emails: string[]): Promise<Person[]> {
    const rows = await this.transactions.manager
      .createQueryBuilder(PersonEntity, 'p')
      .where('p.id = ANY(:ids) OR p.email = ANY(:emails)', { ids, emails })
      .orderBy('p.created_at', 'DESC')
      .getMany();
    return rows.map(toPerson);
  }

  /**
   * Locks the person's row for the rest of the caller's transaction. NO KEY UPDATE, so inserts
   * that merely reference the person (flows, sessions) are not blocked by it.
   */
  async lockById(tx: Tx, personId: string): Promise<Person | null> {
    const row = await tx.findOne(PersonEntity, { where: { id: personId }, lock: { mode: 'for_no_key_update' } });
    return row && toPerson(row);
  }

  async updateStatus(tx: Tx, personId: string, change: StatusChange): Promise<void> {
    const { clearLlmKey, ...columns } = change;
    await tx.update(PersonEntity, { id: personId }, clearLlmKey ? { ...columns, llmKeyEncrypted: null } : columns);
    // The operator key of the person's personal engagement is theirs too: it goes with the account.
    if (clearLlmKey) await tx.update(EngagementEntity, { ownerPersonId: personId, personal: true }, { llmKeyEncrypted: null });
  }

  async setReferredBy(tx: Tx, personId: string, referrerId: string): Promise<void> {
    await tx.update(PersonEntity, { id: personId }, { referredBy: referrerId });
  }

  async setRole(tx: Tx, personId: string, role: Role): Promise<void> {
    await tx.update(PersonEntity, { id: personId }, { role });
  }

  /** Stores an encrypted LLM key (or null); false when no such person or engagement. */
  async setLlmKey(owner: LlmKeyOwner, id: string, encrypted: string | null): Promise<boolean> {
    const result = await this.transactions.manager.update(LLM_KEY_TABLE[owner], { id }, { llmKeyEncrypted: encrypted });
    return Boolean(result.affected);
  }

  /** The encrypted LLM key, or null when none is set (or no such row). */
  async llmKey(owner: LlmKeyOwner, id: string): Promise<string | null> {
    const row = await this.transactions.manager.findOne<{ id: string; llmKeyEncrypted: string | null }>(LLM_KEY_TABLE[owner], {
      where: { id },
      select: { id: true, llmKeyEncrypted: true },
    });
    return row?.llmKeyEncrypted ?? null;
  }

  /** undefined: no such engagement; null: it exists and the person is not a member. */
  async membership(engagementId: string, personId: string): Promise<Membership | null | undefined> {
    // One round trip: the engagement row tells "exists" and "personal", the joined member row the role (checked on every turn).
    const [row]: { role: EngagementRole | null; personal: boolean }[] = await this.transactions.manager.query(
      `SELECT m.role, e.personal FROM engagements e
         LEFT JOIN engagement_members m ON m.engagement_id = e.id AND m.person_id = $2
        WHERE e.id = $1`,
      [engagementId, personId],
    );
    if (!row) return undefined;
    return row.role ? { role: row.role, personal: row.personal } : null;
  }

  /** True when the engagement exists and is a team's (with a pool), not a personal one. */
  async isTeam(engagementId: string): Promise<boolean> {
    const rows: unknown[] = await this.transactions.manager.query('SELECT 1 FROM engagements WHERE id = $1 AND NOT personal', [engagementId]);
    return rows.length === 1;
  }

  /** A team's members (or one of them), owners first, with their limits in its pool. */
  async members(engagementId: string, personId?: string, tx?: Tx): Promise<Member[]> {
    const rows: { person_id: string; email: string; display_name: string; role: EngagementRole; limit_amount: string | null; limit_period: LimitPeriod | null }[] =
      await (tx ?? this.transactions.manager).query(
        `SELECT m.person_id, p.email, p.display_name, m.role, m.limit_amount::text AS limit_amount, m.limit_period
           FROM engagement_members m JOIN persons p ON p.id = m.person_id
          WHERE m.engagement_id = $1 AND ($2::uuid IS NULL OR m.person_id = $2)
          ORDER BY m.role = 'owner' DESC, m.created_at, m.person_id`,
        [engagementId, personId ?? null],
      );
    return rows.map((r) => ({
      personId: r.person_id,
      email: r.email,
      displayName: r.display_name,
      role: r.role,
      limit: r.limit_amount === null ? null : { amount: BigInt(r.limit_amount), period: r.limit_period! },
    }));
  }

  /**
   * Changes or removes a member, under the team engagement's row lock (the lock every pool hold
   * takes too, so owners changing each other's roles at once can't both leave it ownerless).
   * Answers 'not_found' (no such member; undefined engagement: 'no_engagement'), 'last_owner', or 'done'.
   */
  async changeMember(tx: Tx, engagementId: string, personId: string, change: MemberChange | 'remove'): Promise<'done' | 'not_found' | 'no_engagement' | 'last_owner'> {
    const [team]: { personal: boolean }[] = await tx.query('SELECT personal FROM engagements WHERE id = $1 FOR NO KEY UPDATE', [engagementId]);
    if (!team || team.personal) return 'no_engagement';
    const [row]: { role: EngagementRole; owners: number }[] = await tx.query(
      `SELECT m.role, (SELECT count(*)::int FROM engagement_members o WHERE o.engagement_id = $1 AND o.role = 'owner') AS owners
         FROM engagement_members m WHERE m.engagement_id = $1 AND m.person_id = $2`,
      [engagementId, personId],
    );
    if (!row) return 'not_found';
    const losesOwner = row.role === 'owner' && (change === 'remove' || (change.role !== undefined && change.role !== 'owner'));
    if (losesOwner && row.owners <= 1) return 'last_owner';
    if (change === 'remove') {
      await tx.query('DELETE FROM engagement_members WHERE engagement_id = $1 AND person_id = $2', [engagementId, personId]);
      return 'done';
    }
    await tx.query(
      `UPDATE engagement_members SET role = coalesce($3, role),
              limit_amount = CASE WHEN $4 THEN $5::bigint ELSE limit_amount END,
              limit_period = CASE WHEN $4 THEN $6::text ELSE limit_period END
        WHERE engagement_id = $1 AND person_id = $2`,
      [engagementId, personId, change.role ?? null, change.limit !== undefined, change.limit ? change.limit.amount.toString() : null, change.limit?.period ?? null],
    );
    return 'done';
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
