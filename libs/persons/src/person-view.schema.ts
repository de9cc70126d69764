import { ApiProperty } from '@nestjs/swagger';
import { ACCOUNT_STATUSES, ROLES, type AccountStatus, type Role } from './domain/person';

/** OpenAPI shape of API.md's PersonView. */
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
