import { Injectable } from '@nestjs/common';
import { CursorCodec, Meters, paginate, TOKEN_KINDS, type Page, type PageRequest } from '@loomworks/common';
import { ReadReplica, Transactions, type Tx } from '@loomworks/database';
import { Outbox } from '@loomworks/outbox';
import type { LlmCall, LlmCallFilter, LlmCallRecord, UsageGroup, UsageQuery } from './domain/llm-call';
import { llmCallRows, LlmCallsRepository } from './persistence/llm-calls.repository';

const CURSOR = CursorCodec.keyset('llm-calls');

/** The event's data: which call, whose, and what it was charged (0: nothing kept, the hold released). */
function usageUnreported(callId: string, call: LlmCallRecord): Record<string, unknown> {
  return {
    callId,
    source: call.source,
    personId: call.personId,
    engagementId: call.engagementId ?? null,
    apiKeyId: call.apiKeyId ?? null,
    turnId: call.turnId ?? null,
    model: call.model,
    holdId: call.holdId ?? null,
    usage: call.usage,
    charged: Number(call.charged),
  };
}

/**
 * The call log (DESIGN.md "The LLM call log and usage"). Every caller of the provider — the converse
 * pipeline, the Messages API — logs each call once it has ended with one `record` call, in its own
 * transaction when the call's charge is written (so a charged call always has its row), and reads
 * lists and usage aggregates computed by the database.
 */
@Injectable()
export class LlmCallLog {
  constructor(
    private readonly transactions: Transactions,
    private readonly replica: ReadReplica,
    private readonly calls: LlmCallsRepository,
    private readonly meters: Meters,
    private readonly outbox: Outbox,
  ) {}

  /**
   * Logs ended calls in one statement (joining `tx` when given); answers their ids. The one rule
   * for a provider stream that ended without its final usage (DESIGN.md "Streaming"), whoever made
   * the call: an `interrupted` call raises `llm.usage_unreported` in the same transaction as its row
   * (and so as its charge, when the caller settles in `tx`).
   */
  async record(calls: LlmCallRecord | readonly LlmCallRecord[], tx?: Tx): Promise<string[]> {
    const list = Array.isArray(calls) ? (calls as readonly LlmCallRecord[]) : [calls as LlmCallRecord];
    const ids = await this.transactions.join(tx, async (t) => {
      const ids = await this.calls.insert(t, list);
      for (const [i, call] of list.entries()) {
        if (call.status === 'interrupted') await this.outbox.recordEvent(t, { type: 'llm.usage_unreported', data: usageUnreported(ids[i], call) });
      }
      return ids;
    });
    for (const call of list) this.counted(call);
    return ids;
  }

  /**
   * For a caller whose own statement writes the call's row (record_llm_calls in the same
   * statement as its charge: the Messages API's settlement): the row as that function takes it.
   * Only for a call that raises no event — an `interrupted` one goes through `record`.
   */
  rowOf(call: LlmCallRecord & { id: string }): Record<string, unknown> {
    if (call.status === 'interrupted') throw new Error('an interrupted call raises llm.usage_unreported: log it with record()');
    return llmCallRows([call])[0];
  }

  /** The call's metrics (calls, tokens by model and status), once its row is committed. */
  counted(call: LlmCallRecord): void {
    this.meters.llmCalls.inc({ model: call.model, status: call.status });
    if (call.usage) {
      for (const kind of TOKEN_KINDS) if (call.usage[kind] > 0) this.meters.llmTokens.inc({ model: call.model, status: call.status, kind }, call.usage[kind]);
    }
  }

  /** Calls newest first, a page at a time; pass `personId` for a member's own. */
  list(filter: LlmCallFilter, page: PageRequest): Promise<Page<LlmCall>> {
    return paginate(page, {
      cursor: CURSOR,
      // History: lag-tolerant: from the read replica when one is configured (DESIGN.md "Scaling and failover").
      fetch: (take, after) => this.calls.list(this.replica.readOnly(), filter, take, after),
      position: (call) => ({ at: call.startedAt, id: call.id }),
      item: (call) => call,
    });
  }

  byId(id: string, tx?: Tx): Promise<LlmCall | null> {
    return this.calls.byId(tx ?? this.transactions.manager, id);
  }

  /** Records a refund of a call's charge (a turn's stage, or a Messages API call), so usage counts credits charged minus refunds. */
  addRefund(tx: Tx, call: { id: string } | { turnId: string; stage: string }, amount: bigint): Promise<void> {
    return this.calls.addRefund(tx, call, amount);
  }

  usage(query: UsageQuery): Promise<UsageGroup[]> {
    // Usage aggregates: lag-tolerant: from the read replica when one is configured (DESIGN.md "Scaling and failover").
    return this.calls.usage(this.replica.readOnly(), query);
  }
}
