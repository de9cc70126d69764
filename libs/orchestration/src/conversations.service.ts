import { Injectable } from '@nestjs/common';
import { CursorCodec, paginate, type PageRequest } from '@loomworks/common';
import { Transactions } from '@loomworks/database';
import { ConversationNotFoundError } from './domain/errors';
import { MembershipService } from './membership.service';
import { ConversationsRepository } from './persistence/conversations.repository';
import type { ConversationPageSchema, TurnPageSchema } from './views';

const CONVERSATION_CURSOR = CursorCodec.keyset('conversations');
/** A conversation's turns, oldest first: the position is the last turn's place in it (its seq). */
const TURN_CURSOR = CursorCodec.sequence('turns');

/** Reading an engagement's conversation history (members only). */
@Injectable()
export class ConversationsService {
  constructor(
    private readonly transactions: Transactions,
    private readonly conversations: ConversationsRepository,
    private readonly membership: MembershipService,
  ) {}

  async list(engagementId: string, personId: string, request: PageRequest): Promise<ConversationPageSchema> {
    await this.membership.requireMember(engagementId, personId);
    return paginate(request, {
      cursor: CONVERSATION_CURSOR,
      fetch: (take, after) => this.conversations.list(this.transactions.manager, engagementId, take, after && { lastTurnAt: after.at, id: after.id }),
      position: (c) => ({ at: c.lastTurnAt, id: c.id }),
      item: (c) => ({ id: c.id, title: c.title, createdAt: c.createdAt.toISOString(), lastTurnAt: c.lastTurnAt.toISOString() }),
    });
  }

  async turns(engagementId: string, conversationId: string, personId: string, request: PageRequest): Promise<TurnPageSchema> {
    await this.membership.requireMember(engagementId, personId);
    const manager = this.transactions.manager;
    if (!(await this.conversations.inEngagement(manager, engagementId, conversationId))) throw new ConversationNotFoundError();
    return paginate(request, {
      cursor: TURN_CURSOR,
      fetch: (take, after) => this.conversations.turns(manager, conversationId, take, after?.id),
      position: (t) => ({ id: String(t.seq) }),
      item: (t) => ({
        id: t.id,
        role: t.role,
        content: t.content,
        status: t.status,
        createdAt: t.createdAt.toISOString(),
        ...(t.tokenUsage && { tokenUsage: t.tokenUsage }),
      }),
    });
  }
}
