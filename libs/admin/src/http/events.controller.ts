import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '@loomworks/auth';
import { ApiErrors } from '@loomworks/common';
import { AdminEventsService } from '../admin-events.service';
import { EventPageSchema } from '../operations-views';
import { EventQueryDto } from './dto';

@ApiTags('admin')
@ApiBearerAuth()
@ApiErrors('unauthenticated', 'forbidden')
@Roles('admin')
@Controller('admin/events')
export class EventsController {
  constructor(private readonly events: AdminEventsService) {}

  @Get()
  @ApiOperation({ summary: 'Business events, newest first; filter by type' })
  @ApiOkResponse({ type: EventPageSchema })
  @ApiErrors('unauthenticated', 'forbidden', 'validation_failed')
  list(@Query() query: EventQueryDto): Promise<EventPageSchema> {
    return this.events.list(query);
  }
}
