import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiResponse, ApiTags } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { Roles } from '@loomworks/auth';
import { CursorCodec, ErrorResponse, PageQueryDto, paginate } from '@loomworks/common';
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

class EventPageSchema {
  @ApiProperty({ type: [EventSchema] }) items!: EventSchema[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}

const EVENT_CURSOR = CursorCodec.keyset('events');

@ApiTags('admin')
@ApiBearerAuth()
@ApiResponse({ status: 401, description: 'unauthenticated', type: ErrorResponse })
@ApiResponse({ status: 403, description: 'forbidden (not an admin)', type: ErrorResponse })
@Roles('admin')
@Controller('admin/events')
export class EventsController {
  constructor(private readonly outbox: Outbox) {}

  @Get()
  @ApiOperation({ summary: 'Business events, newest first; filter by type' })
  @ApiOkResponse({ type: EventPageSchema })
  @ApiResponse({ status: 400, description: 'validation_failed (unknown type, bad cursor)', type: ErrorResponse })
  list(@Query() query: EventQueryDto): Promise<EventPageSchema> {
    return paginate(query, {
      cursor: EVENT_CURSOR,
      fetch: (take, after) => this.outbox.listEvents({ type: query.type, limit: take, after: after && { timestamp: after.at, id: after.id } }),
      position: (e) => ({ at: e.timestamp, id: e.id }),
      item: (e) => ({ id: e.id, type: e.type, data: e.data, createdAt: e.timestamp.toISOString() }),
    });
  }
}
