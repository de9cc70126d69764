import { Injectable } from '@nestjs/common';
import type { Tx } from '@loomworks/database';
import { storableText, type Usage } from '@loomworks/common';

interface ConversationRow {
  id: string;
  title: string;
  created_at: Date;
  last_turn_at: Date;
}

interface TurnRow {
  id: string;
  seq: number;
  role: 'user' | 'assistant';
  content: string;
  token_usage: Record<string, Usage> | null;
  status: 'ok' | 'interrupted';
  created_at: Date;
}

/** A conversation of an engagement. */
export interface Conversation {
  id: string;
  title: string;
  createdAt: Date;
  lastTurnAt: Date;
}

/** A turn, by its place (`seq`, from 1) in its conversation. */
export interface Turn {
  id: string;
  seq: number;
  role: 'user' | 'assistant';
  content: string;
  /** assistant turns: usage by stage (classify, respond) */
  tokenUsage: Record<string, Usage> | null;
  status: 'ok' | 'interrupted';
  createdAt: Date;
}

const CONVERSATION_COLUMNS = 'id, title, created_at, last_turn_at';
const TURN_COLUMNS = 'id, seq, role, content, token_usage, status, created_at';

const toConversation = (r: ConversationRow): Conversation => ({ id: r.id, title: r.title, createdAt: r.created_at, lastTurnAt: r.last_turn_at });
const toTurn = (r: TurnRow): Turn => ({
  id: r.id,
  seq: r.seq,
  role: r.role,
  content: r.content,
  tokenUsage: r.token_usage,
  status: r.status,
  createdAt: r.created_at,
});

export interface NewTurn {
  id: string;
  role: 'user' | 'assistant';
  content: string;
  personId: string;
  keySource?: string;
  intent?: string;
  models?: Record<string, string>;
  tokenUsage?: Record<string, Usage>;
  /** an assistant turn whose provider stream broke: `interrupted` (default `ok`) */
  status?: 'ok' | 'interrupted';
}

/** Conversations and turns; every read is scoped by the engagement it belongs to. */
@Injectable()
export class ConversationsRepository {
  async inEngagement(tx: Tx, engagementId: string, conversationId: string): Promise<Conversation | null> {
    const rows: ConversationRow[] = await tx.query(`SELECT ${CONVERSATION_COLUMNS} FROM conversations WHERE id = $1 AND engagement_id = $2`, [
      conversationId,
      engagementId,
    ]);
    return rows[0] ? toConversation(rows[0]) : null;
  }

  async insertConversation(tx: Tx, c: { id: string; engagementId: string; startedBy: string; title: string; at: Date }): Promise<void> {
    await tx.query(
      'INSERT INTO conversations (id, engagement_id, started_by, title, created_at, last_turn_at) VALUES ($1, $2, $3, $4, $5, $5)',
      [c.id, c.engagementId, c.startedBy, storableText(c.title), c.at],
    );
  }

  /**
   * Appends turns, in order, after the conversation's last (its row lock orders concurrent
   * writers). Content is stored as Postgres text can hold it (storableText: U+0000 → U+FFFD).
   */
  async appendTurns(tx: Tx, conversationId: string, turns: NewTurn[], at: Date): Promise<void> {
    await tx.query('SELECT 1 FROM conversations WHERE id = $1 FOR UPDATE', [conversationId]);
    const values: unknown[] = [conversationId, at];
    const rows = turns.map((t, i) => {
      const p = (v: unknown) => `$${values.push(v)}`;
      return `(${p(t.id)}, $1, (SELECT coalesce(max(seq), 0) FROM turns WHERE conversation_id = $1) + ${i + 1}, ${p(t.role)}, ${p(storableText(t.content))},
        ${p(t.personId)}, ${p(t.keySource ?? null)}, ${p(t.intent ?? null)}, ${p(t.models ? JSON.stringify(t.models) : null)},
        ${p(t.tokenUsage ? JSON.stringify(t.tokenUsage) : null)}, ${p(t.status ?? 'ok')}, $2)`;
    });
    await tx.query(
      `INSERT INTO turns (id, conversation_id, seq, role, content, person_id, key_source, intent, models, token_usage, status, created_at)
       VALUES ${rows.join(', ')}`,
      values,
    );
    await tx.query('UPDATE conversations SET last_turn_at = $2 WHERE id = $1', [conversationId, at]);
  }

  /** The latest `limit` turns, oldest first (the context for the next answer). */
  async recentTurns(tx: Tx, conversationId: string, limit: number): Promise<Turn[]> {
    const rows: TurnRow[] = await tx.query(`SELECT ${TURN_COLUMNS} FROM turns WHERE conversation_id = $1 ORDER BY seq DESC LIMIT $2`, [conversationId, limit]);
    return rows.reverse().map(toTurn);
  }

  /** Up to `limit` turns after position `afterSeq` (the start when absent), oldest first, through the (conversation_id, seq) key. */
  async turns(tx: Tx, conversationId: string, limit: number, afterSeq?: string): Promise<Turn[]> {
    const rows: TurnRow[] = await tx.query(`SELECT ${TURN_COLUMNS} FROM turns WHERE conversation_id = $1 AND seq > $2::bigint ORDER BY seq LIMIT $3`, [
      conversationId,
      afterSeq ?? 0,
      limit,
    ]);
    return rows.map(toTurn);
  }

  async list(tx: Tx, engagementId: string, limit: number, after?: { lastTurnAt: Date; id: string }): Promise<Conversation[]> {
    const rows: ConversationRow[] = await tx.query(
      `SELECT ${CONVERSATION_COLUMNS} FROM conversations
        WHERE engagement_id = $1 AND ($2::timestamptz IS NULL OR (last_turn_at, id) < ($2, $3::uuid))
        ORDER BY last_turn_at DESC, id DESC LIMIT $4`,
      [engagementId, after?.lastTurnAt ?? null, after?.id ?? null, limit],
    );
    return rows.map(toConversation);
  }
}
