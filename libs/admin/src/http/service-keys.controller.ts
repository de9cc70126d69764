import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';
import { CurrentPerson, Roles } from '@loomworks/auth';
import { ApiErrors, uuidParam } from '@loomworks/common';
import { Transactions } from '@loomworks/database';
import { CreatedServiceKeySchema, ServiceKeyListSchema, ServiceKeysService, serviceKeyView } from '@loomworks/gateway';
import type { Person } from '@loomworks/persons';
import { AuditService } from '../audit.service';

class CreateServiceKeyDto {
  @ApiProperty({ minLength: 1, maxLength: 100, description: 'which service uses it' })
  @IsString()
  @Length(1, 100)
  name!: string;
}

/** Staff manage service keys (DESIGN.md "Authorizations and refunds"): create (the key shown once), list, revoke; audited. */
@ApiTags('admin')
@ApiBearerAuth()
@ApiErrors('unauthenticated', 'forbidden')
@Roles('admin')
@Controller('admin/service-keys')
export class ServiceKeysController {
  constructor(
    private readonly serviceKeys: ServiceKeysService,
    private readonly audit: AuditService,
    private readonly transactions: Transactions,
  ) {}

  @Post()
  @ApiOperation({ summary: 'A new service key (scope credit:authorize); the key (lk_…) is answered this once' })
  @ApiCreatedResponse({ type: CreatedServiceKeySchema })
  @ApiErrors('validation_failed')
  create(@CurrentPerson() actor: Person, @Body() body: CreateServiceKeyDto): Promise<CreatedServiceKeySchema> {
    return this.transactions.run(async (tx) => {
      const { serviceKey, key } = await this.serviceKeys.create(tx, { name: body.name, createdBy: actor.id });
      await this.audit.record(tx, {
        actorPersonId: actor.id,
        action: 'service_key.create',
        subjectType: 'service_key',
        subjectId: serviceKey.id,
        details: { name: serviceKey.name, prefix: serviceKey.prefix },
      });
      return { ...serviceKeyView(serviceKey), key };
    });
  }

  @Get()
  @ApiOperation({ summary: 'The live service keys (never the keys themselves)' })
  @ApiOkResponse({ type: ServiceKeyListSchema })
  async list(): Promise<ServiceKeyListSchema> {
    return { items: (await this.serviceKeys.list()).map(serviceKeyView) };
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revokes a service key (audited); its authorizations stay as they are' })
  @ApiNoContentResponse()
  @ApiErrors('validation_failed', 'service_key_not_found')
  async revoke(@CurrentPerson() actor: Person, @Param('id', uuidParam('id')) id: string): Promise<void> {
    await this.transactions.run(async (tx) => {
      const key = await this.serviceKeys.revoke(tx, id);
      await this.audit.record(tx, {
        actorPersonId: actor.id,
        action: 'service_key.revoke',
        subjectType: 'service_key',
        subjectId: id,
        details: { name: key.name, prefix: key.prefix },
      });
    });
  }
}
