import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { CurrentPerson, Roles } from '@loomworks/auth';
import { ApiErrors, mapPage, PageOf, PageQueryDto, uuidParam } from '@loomworks/common';
import { Transactions } from '@loomworks/database';
import { WebhookEndpointsService, type WebhookDelivery, type WebhookEndpoint } from '@loomworks/notifications';
import { EVENT_TYPES } from '@loomworks/outbox';
import type { Person } from '@loomworks/persons';
import { AuditService } from '../audit.service';

class CreateWebhookDto {
  @ApiProperty({ example: 'https://hooks.example.com/loomworks', description: 'https (http too when WEBHOOK_ALLOW_HTTP=true), a public host' })
  @IsString()
  @MaxLength(2048)
  url!: string;

  @ApiProperty({ enum: EVENT_TYPES, isArray: true })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(EVENT_TYPES.length)
  @IsIn(EVENT_TYPES, { each: true })
  events!: string[];

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string;
}

class WebhookSchema {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() url!: string;
  @ApiProperty({ enum: EVENT_TYPES, isArray: true }) events!: string[];
  @ApiProperty({ nullable: true, type: String }) description!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

class CreatedWebhookSchema extends WebhookSchema {
  @ApiProperty({ description: 'the whsec_ signing secret: shown once, stored encrypted' }) secret!: string;
}

class ListedWebhookSchema extends WebhookSchema {
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) lastDeliveryAt!: string | null;
  @ApiProperty({ description: 'recent attempts keep failing' }) failing!: boolean;
}

class WebhookListSchema {
  @ApiProperty({ type: [ListedWebhookSchema] }) items!: ListedWebhookSchema[];
}

class DeliverySchema {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) eventId!: string;
  @ApiProperty() eventType!: string;
  @ApiProperty() attempt!: number;
  @ApiProperty({ enum: ['delivered', 'failed'] }) status!: string;
  @ApiProperty({ nullable: true, type: Number }) responseStatus!: number | null;
  @ApiProperty({ format: 'date-time' }) at!: string;
}

class DeliveryPageSchema extends PageOf(DeliverySchema) {}

const webhookView = (w: WebhookEndpoint): WebhookSchema => ({
  id: w.id,
  url: w.url,
  events: w.events,
  description: w.description,
  createdAt: w.createdAt.toISOString(),
});

const deliveryView = (d: WebhookDelivery): DeliverySchema => ({
  id: d.id,
  eventId: d.eventId,
  eventType: d.eventType,
  attempt: d.attempt,
  status: d.status,
  responseStatus: d.responseStatus,
  at: d.at.toISOString(),
});

const Uuid = uuidParam('id');

@ApiTags('admin')
@ApiBearerAuth()
@ApiErrors('unauthenticated', 'forbidden')
@Roles('admin')
@Controller('admin/webhooks')
export class WebhooksController {
  constructor(
    private readonly webhooks: WebhookEndpointsService,
    private readonly audit: AuditService,
    private readonly transactions: Transactions,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Register a webhook endpoint; answers its signing secret (shown once)' })
  @ApiCreatedResponse({ type: CreatedWebhookSchema })
  @ApiErrors('unauthenticated', 'forbidden', 'validation_failed')
  create(@CurrentPerson() actor: Person, @Body() body: CreateWebhookDto): Promise<CreatedWebhookSchema> {
    return this.transactions.run(async (tx) => {
      const created = await this.webhooks.create(tx, body);
      await this.audit.record(tx, {
        actorPersonId: actor.id,
        action: 'webhook.create',
        subjectType: 'webhook',
        subjectId: created.id,
        details: { url: created.url, events: created.events },
      });
      return { ...webhookView(created), secret: created.secret };
    });
  }

  @Get()
  @ApiOperation({ summary: 'The registered webhook endpoints' })
  @ApiOkResponse({ type: WebhookListSchema })
  async list(): Promise<WebhookListSchema> {
    const items = await this.webhooks.list();
    return { items: items.map((w) => ({ ...webhookView(w), lastDeliveryAt: w.lastDeliveryAt?.toISOString() ?? null, failing: w.failing })) };
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a webhook endpoint (its delivery log is kept)' })
  @ApiNoContentResponse({ description: 'deleted' })
  @ApiErrors('unauthenticated', 'forbidden', 'validation_failed', 'webhook_not_found')
  async remove(@CurrentPerson() actor: Person, @Param('id', Uuid) id: string): Promise<void> {
    await this.transactions.run(async (tx) => {
      await this.webhooks.remove(tx, id);
      await this.audit.record(tx, { actorPersonId: actor.id, action: 'webhook.delete', subjectType: 'webhook', subjectId: id });
    });
  }

  @Get(':id/deliveries')
  @ApiOperation({ summary: "An endpoint's delivery attempts, newest first" })
  @ApiOkResponse({ type: DeliveryPageSchema })
  @ApiErrors('unauthenticated', 'forbidden', 'validation_failed', 'webhook_not_found')
  async deliveries(@Param('id', Uuid) id: string, @Query() query: PageQueryDto): Promise<DeliveryPageSchema> {
    return mapPage(await this.webhooks.deliveries(id, query), deliveryView);
  }
}
