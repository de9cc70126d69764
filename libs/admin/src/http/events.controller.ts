import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { Roles } from '@loomworks/auth';
import { ApiErrors, CursorCodec, PageOf, PageQueryDto, paginate } from '@loomworks/common';
import { EVENT_TYPES, Outbox } from '@loomworks/outbox';

class EventQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: EVENT_TYPES })
  @IsOptional()
  @IsIn(EVENT_TYPES)
  type?: string;
}

class EventSchema {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: EVENT_TYPES }) type!: string;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'ids and amounts, never secrets' }) data!: Record<string, unknown>;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

class EventPageSchema extends PageOf(EventSchema) {}

const EVENT_CURSOR = CursorCodec.keyset('events');

@ApiTags('admin')
@ApiBearerAuth()
@ApiErrors('unauthenticated', 'forbidden')
@Roles('admin')
@Controller('admin/events')
export class EventsController {
  constructor(private readonly outbox: Outbox) {}

  @Get()
  @ApiOperation({ summary: 'Business events, newest first; filter by type' })
  @ApiOkResponse({ type: EventPageSchema })
  @ApiErrors('unauthenticated', 'forbidden', 'validation_failed')
  list(@Query() query: EventQueryDto): Promise<EventPageSchema> {
    return paginate(query, {
      cursor: EVENT_CURSOR,
      fetch: (take, after) => this.outbox.listEvents({ type: query.type, limit: take, after: after && { timestamp: after.at, id: after.id } }),
      position: (e) => ({ at: e.timestamp, id: e.id }),
      item: (e) => ({ id: e.id, type: e.type, data: e.data, createdAt: e.timestamp.toISOString() }),
    });
  }
}
