import { Injectable } from '@nestjs/common';
import { CursorCodec, paginate, type PageRequest } from '@loomworks/common';
import { Outbox } from '@loomworks/outbox';
import { eventView, type EventPageSchema } from './operations-views';

const EVENT_CURSOR = CursorCodec.keyset('events');

/** The business events staff browse, newest first. */
@Injectable()
export class AdminEventsService {
  constructor(private readonly outbox: Outbox) {}

  list(query: PageRequest & { type?: string }): Promise<EventPageSchema> {
    return paginate(query, {
      cursor: EVENT_CURSOR,
      fetch: (take, after) => this.outbox.listEvents({ type: query.type, limit: take, after: after && { timestamp: after.at, id: after.id } }),
      position: (e) => ({ at: e.timestamp, id: e.id }),
      item: eventView,
    });
  }
}
