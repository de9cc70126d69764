import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPerson, Roles } from '@loomworks/auth';
import { ApiErrors, PageQueryDto, uuidParam } from '@loomworks/common';
import type { Person } from '@loomworks/persons';
import { AdminWebhooksService } from '../admin-webhooks.service';
import { CreatedWebhookSchema, DeliveryPageSchema, WebhookListSchema } from '../operations-views';
import { CreateWebhookDto } from './dto';

const Uuid = uuidParam('id');

@ApiTags('admin')
@ApiBearerAuth()
@ApiErrors('unauthenticated', 'forbidden')
@Roles('admin')
@Controller('admin/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: AdminWebhooksService) {}

  @Post()
  @ApiOperation({ summary: 'Register a webhook endpoint; answers its signing secret (shown once)' })
  @ApiCreatedResponse({ type: CreatedWebhookSchema })
  @ApiErrors('unauthenticated', 'forbidden', 'validation_failed')
  create(@CurrentPerson() actor: Person, @Body() body: CreateWebhookDto): Promise<CreatedWebhookSchema> {
    return this.webhooks.create(actor, body);
  }

  @Get()
  @ApiOperation({ summary: 'The registered webhook endpoints' })
  @ApiOkResponse({ type: WebhookListSchema })
  list(): Promise<WebhookListSchema> {
    return this.webhooks.list();
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a webhook endpoint (its delivery log is kept)' })
  @ApiNoContentResponse({ description: 'deleted' })
  @ApiErrors('unauthenticated', 'forbidden', 'validation_failed', 'webhook_not_found')
  remove(@CurrentPerson() actor: Person, @Param('id', Uuid) id: string): Promise<void> {
    return this.webhooks.remove(actor, id);
  }

  @Get(':id/deliveries')
  @ApiOperation({ summary: "An endpoint's delivery attempts, newest first" })
  @ApiOkResponse({ type: DeliveryPageSchema })
  @ApiErrors('unauthenticated', 'forbidden', 'validation_failed', 'webhook_not_found')
  deliveries(@Param('id', Uuid) id: string, @Query() query: PageQueryDto): Promise<DeliveryPageSchema> {
    return this.webhooks.deliveries(id, query);
  }
}
