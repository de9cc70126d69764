import { Injectable } from '@nestjs/common';
import { decodeKeysetCursor, encodeKeysetCursor } from '@loomworks/common';
import { Transactions } from '@loomworks/database';
import { ConversationNotFoundError } from './domain/errors';
import { MembershipService } from './membership.service';
import { ConversationsRepository } from './persistence/conversations.repository';

/** Reading an engagement's conversation history (members only). */
@Injectable()
export class ConversationsService {
  constructor(
    private readonly transactions: Transactions,
    private readonly conversations: ConversationsRepository,
    private readonly membership: MembershipService,
  ) {}

  async list(engagementId: string, personId: string, page: { limit?: number; cursor?: string }) {
    await this.membership.requireMember(engagementId, personId);
    const limit = page.limit ?? 50;
    const after = page.cursor ? decodeKeysetCursor(page.cursor) : undefined;
    const rows = await this.conversations.list(this.transactions.manager, engagementId, limit + 1, after && { lastTurnAt: after.at, id: after.id });
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return {
      items: items.map((c) => ({ id: c.id, title: c.title, createdAt: c.created_at.toISOString(), lastTurnAt: c.last_turn_at.toISOString() })),
      nextCursor: rows.length > limit ? encodeKeysetCursor(last.last_turn_at, last.id) : null,
    };
  }

  async turns(engagementId: string, conversationId: string, personId: string) {
    await this.membership.requireMember(engagementId, personId);
    const manager = this.transactions.manager;
    if (!(await this.conversations.inEngagement(manager, engagementId, conversationId))) throw new ConversationNotFoundError();
    const turns = await this.conversations.turns(manager, conversationId);
    return {
      items: turns.map((t) => ({
        id: t.id,
        role: t.role,
        content: t.content,
        createdAt: t.created_at.toISOString(),
        ...(t.token_usage && { tokenUsage: t.token_usage }),
      })),
    };
  }
}
