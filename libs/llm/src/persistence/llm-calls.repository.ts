import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { KeysetPosition } from '@loomworks/common';
import type { Tx } from '@loomworks/database';
import type { LlmCall, LlmCallFilter, LlmCallRecord, UsageGroup, UsageQuery } from '../domain/llm-call';

interface CallRow {
  id: string;
  source: LlmCall['source'];
  key_source: LlmCall['keySource'];
  payer: string | null;
  person_id: string;
  engagement_id: string | null;
  api_key_id: string | null;
  turn_id: string | null;
  stage: LlmCall['stage'];
  model: string;
  status: LlmCall['status'];
  input_tokens: string | null;
  output_tokens: string | null;
  cache_read_tokens: string | null;
  cache_write_tokens: string | null;
  asset: string | null;
  hold_id: string | null;
  held: string | null;
  charged: string;
  started_at: Date;
  finished_at: Date;
}

const COLUMNS =
  'id, source, key_source, payer, person_id, engagement_id, api_key_id, turn_id, stage, model, status, input_tokens, output_tokens, ' +
  'cache_read_tokens, cache_write_tokens, asset, hold_id, held, charged, started_at, finished_at';

const toCall = (r: CallRow): LlmCall => ({
  id: r.id,
  source: r.source,
  keySource: r.key_source,
  payer: r.payer,
  personId: r.person_id,
  engagementId: r.engagement_id,
  apiKeyId: r.api_key_id,
  turnId: r.turn_id,
  stage: r.stage,
  model: r.model,
  status: r.status,
  usage:
    r.input_tokens === null
      ? null
      : { input: Number(r.input_tokens), output: Number(r.output_tokens), cacheRead: Number(r.cache_read_tokens), cacheWrite: Number(r.cache_write_tokens) },
  asset: r.asset,
  holdId: r.hold_id,
  held: r.held === null ? null : BigInt(r.held),
  charged: BigInt(r.charged),
  startedAt: r.started_at,
  finishedAt: r.finished_at,
});

/** UTC day or model or payer: the SQL expression a usage query groups by (a fixed list, never caller text). */
const GROUP_KEY = {
  day: `to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')`,
  model: 'model',
  payer: `coalesce(payer, 'none')`,
} as const;

/**
 * The calls as record_llm_calls (persistence/sql) takes them: one object per row, snake_case
 * columns, ids chosen here when the caller named none, bigints as strings (exact in JSON).
 */
export function llmCallRows(calls: readonly LlmCallRecord[]): (Record<string, unknown> & { id: string })[] {
  return calls.map((c) => ({
    id: c.id ?? randomUUID(),
    source: c.source,
    key_source: c.keySource,
    payer: c.payer,
    person_id: c.personId,
    engagement_id: c.engagementId ?? null,
    api_key_id: c.apiKeyId ?? null,
    turn_id: c.turnId ?? null,
    stage: c.stage ?? null,
    model: c.model,
    status: c.status,
    input_tokens: c.usage?.input ?? null,
    output_tokens: c.usage?.output ?? null,
    cache_read_tokens: c.usage?.cacheRead ?? null,
    cache_write_tokens: c.usage?.cacheWrite ?? null,
    asset: c.asset ?? null,
    hold_id: c.holdId ?? null,
    held: c.held?.toString() ?? null,
    charged: c.charged.toString(),
    started_at: c.startedAt.toISOString(),
    finished_at: c.finishedAt.toISOString(),
  }));
}

@Injectable()
export class LlmCallsRepository {
  /** Writes the calls in one statement (a turn's stages land together, in the turn's transaction). */
  async insert(tx: Tx, calls: readonly LlmCallRecord[]): Promise<string[]> {
    if (calls.length === 0) return [];
    const rows = llmCallRows(calls);
    await tx.query('SELECT record_llm_calls($1::jsonb)', [JSON.stringify(rows)]);
    return rows.map((r) => r.id);
  }

  /** Newest first, keyset-paged; `filter.personId` scopes a member's own list. */
  async list(tx: Tx, filter: LlmCallFilter, take: number, after?: KeysetPosition): Promise<LlmCall[]> {
    const rows: CallRow[] = await tx.query(
      `SELECT ${COLUMNS} FROM llm_calls
        WHERE ($1::uuid IS NULL OR person_id = $1) AND ($2::uuid IS NULL OR engagement_id = $2)
          AND ($3::text IS NULL OR model = $3) AND ($4::text IS NULL OR status = $4)
          AND ($5::timestamptz IS NULL OR (started_at, id) < ($5, $6::uuid))
        ORDER BY started_at DESC, id DESC LIMIT $7`,
      [filter.personId ?? null, filter.engagementId ?? null, filter.model ?? null, filter.status ?? null, after?.at ?? null, after?.id ?? null, take],
    );
    return rows.map(toCall);
  }

  async byId(tx: Tx, id: string): Promise<LlmCall | null> {
    const rows: CallRow[] = await tx.query(`SELECT ${COLUMNS} FROM llm_calls WHERE id = $1`, [id]);
    return rows[0] ? toCall(rows[0]) : null;
  }

  /** Adds a refund of the call's charge: the call itself, or a turn's stage. */
  async addRefund(tx: Tx, call: { id: string } | { turnId: string; stage: string }, amount: bigint): Promise<void> {
    if ('id' in call) await tx.query('UPDATE llm_calls SET refunded = refunded + $2 WHERE id = $1', [call.id, amount.toString()]);
    else await tx.query('UPDATE llm_calls SET refunded = refunded + $3 WHERE turn_id = $1 AND stage = $2', [call.turnId, call.stage, amount.toString()]);
  }

  /** Calls, tokens and credits (charged minus refunded) per group, summed by the database. */
  async usage(tx: Tx, query: UsageQuery): Promise<UsageGroup[]> {
    const key = GROUP_KEY[query.groupBy];
    const rows: { key: string; calls: string; input_tokens: string; output_tokens: string; credits: string; absorbed: string }[] = await tx.query(
      `SELECT ${key} AS key, count(*) AS calls,
              coalesce(sum(input_tokens + cache_read_tokens + cache_write_tokens), 0) AS input_tokens,
              coalesce(sum(output_tokens), 0) AS output_tokens,
              sum(charged - refunded) AS credits,
              count(*) FILTER (WHERE key_source = 'system' AND input_tokens IS NOT NULL AND charged = 0) AS absorbed
         FROM llm_calls
        WHERE ($1::uuid IS NULL OR person_id = $1) AND ($2::uuid IS NULL OR engagement_id = $2)
          AND ($3::timestamptz IS NULL OR started_at >= $3) AND ($4::timestamptz IS NULL OR started_at < $4)
        GROUP BY 1 ORDER BY 1`,
      [query.personId ?? null, query.engagementId ?? null, query.from ?? null, query.to ?? null],
    );
    return rows.map((r) => ({
      key: r.key,
      calls: Number(r.calls),
      inputTokens: Number(r.input_tokens),
      outputTokens: Number(r.output_tokens),
      credits: BigInt(r.credits),
      absorbedCalls: Number(r.absorbed),
    }));
  }
}
