import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { EngagementRole } from '../domain/person';

@Entity({ name: 'engagements' })
export class EngagementEntity {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'boolean' })
  personal!: boolean;

  @Column({ name: 'owner_person_id', type: 'uuid' })
  ownerPersonId!: string;

  /** the engagement's operator LLM key, a Fernet token */
  @Column({ name: 'llm_key_encrypted', type: 'text', nullable: true, select: false })
  llmKeyEncrypted!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

@Entity({ name: 'engagement_members' })
export class EngagementMemberEntity {
  @PrimaryColumn({ name: 'engagement_id', type: 'uuid' })
  engagementId!: string;

  @PrimaryColumn({ name: 'person_id', type: 'uuid' })
  personId!: string;

  @Column({ type: 'text' })
  role!: EngagementRole;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
