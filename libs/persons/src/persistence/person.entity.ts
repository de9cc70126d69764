import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { AccountStatus, Person, Role } from '../domain/person';

@Entity({ name: 'persons' })
export class PersonEntity {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ type: 'text' })
  email!: string;

  @Column({ name: 'display_name', type: 'text' })
  displayName!: string;

  @Column({ type: 'text' })
  role!: Role;

  @Column({ name: 'account_status', type: 'text' })
  accountStatus!: AccountStatus;

  @Column({ name: 'status_changed_at', type: 'timestamptz', nullable: true })
  statusChangedAt!: Date | null;

  @Column({ name: 'previous_status', type: 'text', nullable: true })
  previousStatus!: AccountStatus | null;

  @Column({ name: 'previous_status_changed_at', type: 'timestamptz', nullable: true })
  previousStatusChangedAt!: Date | null;

  @Column({ name: 'personal_engagement_id', type: 'uuid' })
  personalEngagementId!: string;

  @Column({ name: 'referred_by', type: 'uuid', nullable: true })
  referredBy!: string | null;

  /** the person's own LLM key, a Fernet token; never leaves the persons module in clear except to its owner's turns */
  @Column({ name: 'llm_key_encrypted', type: 'text', nullable: true, select: false })
  llmKeyEncrypted!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

export function toPerson(row: PersonEntity): Person {
  return {
    id: row.id,
    email: row.email,
    displayName: row.displayName,
    role: row.role,
    accountStatus: row.accountStatus,
    statusChangedAt: row.statusChangedAt,
    previousStatus: row.previousStatus,
    previousStatusChangedAt: row.previousStatusChangedAt,
    personalEngagementId: row.personalEngagementId,
    referredBy: row.referredBy,
    createdAt: row.createdAt,
  };
}
