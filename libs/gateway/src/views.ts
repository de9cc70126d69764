import { ApiProperty } from '@nestjs/swagger';
import { LimitSchema } from '@loomworks/credit';
import type { ApiKey } from './domain/api-key';
import type { ServiceKey } from './domain/service-key';

// API.md's API key answers: each class is both the OpenAPI schema and the type the controllers return.

export class ApiKeyViewSchema {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ description: 'the first characters of the key, to tell keys apart' }) prefix!: string;
  @ApiProperty({ format: 'uuid', nullable: true, type: String, description: 'the team whose pool pays for the calls; null: the person' })
  engagementId!: string | null;
  @ApiProperty({ type: LimitSchema, nullable: true }) limit!: LimitSchema | null;
  @ApiProperty({ description: 'credits charged to calls made with the key in the current period of its limit' }) spentThisPeriod!: number;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String, description: 'to the minute' }) lastUsedAt!: string | null;
}

export class CreatedApiKeySchema extends ApiKeyViewSchema {
  @ApiProperty({ description: 'the key (lw_…), shown this once: only its SHA-256 is kept' }) key!: string;
}

export class ApiKeyListSchema {
  @ApiProperty({ type: [ApiKeyViewSchema] }) items!: ApiKeyViewSchema[];
}

/** `spent`: what calls made with the key were charged in the current period of its limit (the month when none). */
export function apiKeyView(key: ApiKey, spent: bigint): ApiKeyViewSchema {
  return {
    id: key.id,
    name: key.name,
    prefix: key.prefix,
    engagementId: key.engagementId,
    limit: key.limit && { amount: Number(key.limit.amount), period: key.limit.period },
    spentThisPeriod: Number(spent),
    createdAt: key.createdAt.toISOString(),
    lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
  };
}

export class AuthorizationViewSchema {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid', nullable: true, type: String, description: 'the person whose credit is held; null for a pool' }) personId!: string | null;
  @ApiProperty({ format: 'uuid', nullable: true, type: String, description: 'the team engagement whose pool is held; null for a person' }) engagementId!: string | null;
  @ApiProperty() asset!: string;
  @ApiProperty({ description: 'credits held' }) amount!: number;
  @ApiProperty({ nullable: true, type: Number, description: 'credits charged by the capture; null until captured' }) captured!: number | null;
  @ApiProperty({ enum: ['active', 'captured', 'voided', 'expired'] }) status!: 'active' | 'captured' | 'voided' | 'expired';
  @ApiProperty({ format: 'date-time' }) expiresAt!: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) metadata!: Record<string, unknown>;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class ServiceKeyViewSchema {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ description: 'the first characters of the key (lk_…), to tell keys apart' }) prefix!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String, description: 'to the minute' }) lastUsedAt!: string | null;
}

export class CreatedServiceKeySchema extends ServiceKeyViewSchema {
  @ApiProperty({ description: 'the key (lk_…), shown this once: only its SHA-256 is kept' }) key!: string;
}

export class ServiceKeyListSchema {
  @ApiProperty({ type: [ServiceKeyViewSchema] }) items!: ServiceKeyViewSchema[];
}

export function serviceKeyView(key: ServiceKey): ServiceKeyViewSchema {
  return { id: key.id, name: key.name, prefix: key.prefix, createdAt: key.createdAt.toISOString(), lastUsedAt: key.lastUsedAt?.toISOString() ?? null };
}
