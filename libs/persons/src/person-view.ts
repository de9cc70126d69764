import { ApiProperty } from '@nestjs/swagger';
import { ACCOUNT_STATUSES, ROLES, type AccountStatus, type Person, type Role } from './domain/person';

/** API.md's PersonView: the class the OpenAPI document describes and toPersonView returns. */
export class PersonViewSchema {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() email!: string;
  @ApiProperty() displayName!: string;
  @ApiProperty({ enum: ROLES }) role!: Role;
  @ApiProperty({ enum: ACCOUNT_STATUSES }) accountStatus!: AccountStatus;
  @ApiProperty({ format: 'uuid' }) personalEngagementId!: string;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) referredBy!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

/** The person as API.md shows it (never a hash or a secret). */
export type PersonView = PersonViewSchema;

export function toPersonView(p: Person): PersonViewSchema {
  return {
    id: p.id,
    email: p.email,
    displayName: p.displayName,
    role: p.role,
    accountStatus: p.accountStatus,
    personalEngagementId: p.personalEngagementId,
    referredBy: p.referredBy,
    createdAt: p.createdAt.toISOString(),
  };
}
