import { Controller, Delete, Get, HttpCode, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPerson, Roles } from '@loomworks/auth';
import { ApiErrors, uuidParam } from '@loomworks/common';
import { Transactions } from '@loomworks/database';
import { ApiKeyListSchema, ApiKeysService } from '@loomworks/gateway';
import { PersonsService, type Person } from '@loomworks/persons';
import { AuditService } from '../audit.service';

const Uuid = uuidParam('id');

/** Staff's view of persons' API keys: list any person's, revoke any key (audited). */
@ApiTags('admin')
@ApiBearerAuth()
@Roles('admin')
@Controller('admin')
export class AdminApiKeysController {
  constructor(
    private readonly apiKeys: ApiKeysService,
    private readonly persons: PersonsService,
    private readonly audit: AuditService,
    private readonly transactions: Transactions,
  ) {}

  @Get('persons/:id/api-keys')
  @ApiOperation({ summary: "A person's live API keys (never the keys themselves)" })
  @ApiOkResponse({ type: ApiKeyListSchema })
  @ApiErrors('unauthenticated', 'forbidden', 'validation_failed', 'person_not_found')
  async list(@Param('id', Uuid) personId: string): Promise<ApiKeyListSchema> {
    await this.persons.getById(personId);
    return { items: await this.apiKeys.views(await this.apiKeys.listOf(personId)) };
  }

  @Delete('api-keys/:id')
  @HttpCode(204)
  @ApiOperation({ summary: "Revokes any person's API key (audited)" })
  @ApiNoContentResponse()
  @ApiErrors('unauthenticated', 'forbidden', 'validation_failed', 'api_key_not_found')
  async revoke(@CurrentPerson() actor: Person, @Param('id', Uuid) id: string): Promise<void> {
    await this.transactions.run(async (tx) => {
      const key = await this.apiKeys.revoke(tx, id);
      await this.audit.record(tx, {
        actorPersonId: actor.id,
        action: 'api_key.revoke',
        subjectType: 'api_key',
        subjectId: id,
        details: { personId: key.personId, name: key.name, prefix: key.prefix },
      });
    });
  }
}
