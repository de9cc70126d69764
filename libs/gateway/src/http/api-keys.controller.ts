import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsOptional, IsString, IsUUID, Length, ValidateNested } from 'class-validator';
import { CurrentPerson } from '@loomworks/auth';
import { ApiErrors, uuidParam } from '@loomworks/common';
import type { Person } from '@loomworks/persons';
import { ApiKeysService } from '../api-keys.service';
import { LimitDto } from '@loomworks/credit';
import { apiKeyView, ApiKeyListSchema, CreatedApiKeySchema } from '../views';

class CreateApiKeyDto {
  @ApiProperty({ minLength: 1, maxLength: 100 })
  @IsString()
  @Length(1, 100)
  name!: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'a team the person belongs to, whose pool then pays' })
  @IsOptional()
  @IsUUID()
  engagementId?: string;

  @ApiPropertyOptional({ type: LimitDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => LimitDto)
  limit?: LimitDto;
}

@ApiTags('api-keys')
@ApiBearerAuth()
@Controller('me/api-keys')
export class ApiKeysController {
  constructor(private readonly apiKeys: ApiKeysService) {}

  @Get()
  @ApiOperation({ summary: "The person's API keys (never the keys themselves)" })
  @ApiOkResponse({ type: ApiKeyListSchema })
  @ApiErrors('unauthenticated')
  async list(@CurrentPerson() person: Person): Promise<ApiKeyListSchema> {
    return { items: await this.apiKeys.views(await this.apiKeys.listOf(person.id)) };
  }

  @Post()
  @ApiOperation({ summary: 'A new API key for the Messages API; the key (lw_…) is answered this once' })
  @ApiCreatedResponse({ type: CreatedApiKeySchema })
  @ApiErrors('validation_failed', 'unauthenticated', 'forbidden', 'engagement_not_found')
  async create(@CurrentPerson() person: Person, @Body() body: CreateApiKeyDto): Promise<CreatedApiKeySchema> {
    const { apiKey, key } = await this.apiKeys.create({
      personId: person.id,
      name: body.name,
      engagementId: body.engagementId,
      limit: body.limit && { amount: BigInt(body.limit.amount), period: body.limit.period },
    });
    return { ...apiKeyView(apiKey, 0n), key };
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revokes one of the person’s API keys' })
  @ApiNoContentResponse()
  @ApiErrors('validation_failed', 'unauthenticated', 'api_key_not_found')
  async revoke(@CurrentPerson() person: Person, @Param('id', uuidParam('id')) id: string): Promise<void> {
    await this.apiKeys.revokeOwn(person.id, id);
  }
}
