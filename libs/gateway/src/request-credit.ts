import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, ForbiddenError, timeOrderedUuid, type Clock, type Usage } from '@loomworks/common';
import { CREDIT_SEAM, LimitReachedError, LostBeforeFlushError, TurnsInFlightError, type CreditSeam } from '@loomworks/credit';
import { Transactions } from '@loomworks/database';
import { LlmCallLog, type LlmCallStatus } from '@loomworks/llm';
import { SystemConfigService } from '@loomworks/system-config';
import { apiKeySha256, sameDigest, type ApiKeyCaller } from './domain/api-key';
import { ApiKeyAccountInactiveError, InvalidApiKeyError, ModelNotBoughtError, RequestNotCoveredError } from './domain/errors';
import { RequestCreditRepository } from './persistence/request-credit.repository';

const REQUEST_SETTINGS = ['credit_tier_priority', 'credit_asset_models', 'hold_ttl_seconds', 'max_turns_in_flight'] as const;
const SETTLE_SETTINGS = ['low_balance_threshold'] as const;
/** A settings change can't race a request forever. */
const MAX_SETTINGS_ATTEMPTS = 5;

/** A request whose hold is placed: what settling or releasing it needs. */
export interface OpenRequest {
  callId: string;
  caller: ApiKeyCaller;
  startedAt: Date;
  model: string;
  hold: { id: string; asset: string; amount: bigint };
  bound: { inputTokens: number; maxTokens: number };
}

/** What a settled request answers in its credit headers. */
export interface RequestSettlement {
  asset: string;
  held: bigint;
  charged: bigint;
  balanceAfter: bigint;
}

export interface RequestToHold {
  presentedKey: string;
  model: string;
  maxTokens: number;
  /** the proven bound of the request's input tokens */
  inputTokens: number;
}

/**
 * The Messages API's credit work (DESIGN.md "The Messages API", "Streaming": no round trip added):
 * one statement before the provider is called — the key resolved and the request's bound held on
 * its payer — and one transaction after it, the settlement (or release) with the call's row of
 * the call log.
 */
@Injectable()
export class RequestCredit {
  constructor(
    private readonly statements: RequestCreditRepository,
    @Inject(CREDIT_SEAM) private readonly credit: CreditSeam,
    private readonly settings: SystemConfigService,
    private readonly transactions: Transactions,
    private readonly callLog: LlmCallLog,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Authenticates the key and holds the request's bound in one statement; throws the refusal. */
  async place(request: RequestToHold): Promise<OpenRequest> {
    const sha256 = apiKeySha256(request.presentedKey);
    // Time-ordered: both end up in the flows' unique key index (timeOrderedUuid).
    const holdId = timeOrderedUuid();
    const callId = timeOrderedUuid();
    for (let attempt = 1; ; attempt++) {
      const { version, values } = await this.settings.cached(REQUEST_SETTINGS);
      const [priority, assetModels, ttlSeconds, maxInFlight] = values;
      const row = await this.statements.placeKeyRequestHold({
        keySha256: sha256,
        holdId,
        requestId: callId,
        at: this.clock.now(),
        ttlSeconds,
        maxInFlight,
        model: request.model,
        inputTokens: request.inputTokens,
        maxTokens: request.maxTokens,
        assets: priority.map((asset) => ({ asset, buys: (assetModels[asset] ?? []).includes(request.model) })),
        settingsVersion: version,
      });
      if (row.outcome === 'stale_settings') {
        this.staleSettings(version, attempt);
        continue;
      }
      if (row.outcome === 'invalid_key') throw new InvalidApiKeyError();
      const caller: ApiKeyCaller = { apiKeyId: row.api_key_id!, personId: row.person_id!, engagementId: row.engagement_id };
      const open: OpenRequest | null =
        row.outcome === 'placed'
          ? {
              callId,
              caller,
              startedAt: new Date(),
              model: request.model,
              hold: { id: holdId, asset: row.asset!, amount: BigInt(row.amount!) },
              bound: { inputTokens: request.inputTokens, maxTokens: request.maxTokens },
            }
          : null;
      // The index found the row by digest; the digests are still compared in constant time here.
      if (!sameDigest(row.key_sha256!, sha256)) {
        if (open) await this.abandon(open);
        throw new InvalidApiKeyError();
      }
      if (!open) return this.refuse(row, request.model, maxInFlight);
      // Committed early behind the payer's queue: durable before the provider is called, or nothing is held.
      if (row.confirm && !(await this.statements.confirmHold(holdId))) throw new LostBeforeFlushError(`hold ${holdId}`);
      return open;
    }
  }

  private refuse(row: Awaited<ReturnType<RequestCreditRepository['placeKeyRequestHold']>>, model: string, maxInFlight: number): never {
    switch (row.outcome) {
      case 'model_not_bought':
        throw new ModelNotBoughtError(model);
      case 'credit_exhausted':
        throw new RequestNotCoveredError(BigInt(row.amount!), row.available_asset === null ? null : { asset: row.available_asset, amount: BigInt(row.available!) });
      case 'limit_reached':
        throw new LimitReachedError(row.retry_at!, this.clock.now());
      case 'turns_in_flight':
        throw new TurnsInFlightError(maxInFlight);
      case 'not_member':
        throw new ForbiddenError("This key's team no longer counts its person as a member");
      case 'account_suspended':
        throw new ApiKeyAccountInactiveError('suspended');
      default:
        throw new ApiKeyAccountInactiveError('deleted');
    }
  }

  /**
   * The charge and the call's row of the call log, committed together: one statement
   * (settle_request_call.sql) for a call that was answered; in a transaction through the seam when
   * the settlement has notices to write to the outbox, or the call was interrupted (its event).
   */
  async settle(open: OpenRequest, usage: Usage, status: LlmCallStatus = 'ok'): Promise<RequestSettlement> {
    if (status !== 'ok') return this.settleInTransaction(open, usage, status);
    for (let attempt = 1; ; attempt++) {
      const { version, values } = await this.settings.cached(SETTLE_SETTINGS);
      const call = this.callRecord(open, status, usage, 0n);
      const row = await this.statements.settleRequestCall({
        holdId: open.hold.id,
        requestId: open.callId,
        at: this.clock.now(),
        // as HoldsService.settle sends a stage to settle_hold
        stages: [{ stage: 'request', model: open.model, tokens: usage }],
        lowThresholds: values[0],
        settingsVersion: version,
        call: this.callLog.rowOf(call),
        personId: open.caller.personId,
      });
      if (row.outcome === 'stale_settings') {
        this.staleSettings(version, attempt);
        continue;
      }
      if (row.outcome === 'notices_due') return this.settleInTransaction(open, usage, status);
      // Committed early behind the person's queue: durable before it is answered, or it never happened (the hold expires, nothing is charged twice).
      if (row.confirm && !(await this.statements.confirmSettlement(open.hold.id))) throw new LostBeforeFlushError(`the settlement of hold ${open.hold.id}`);
      const settled = { asset: row.asset, held: BigInt(row.held), charged: BigInt(row.charged), balanceAfter: BigInt(row.balance_after) };
      this.callLog.counted({ ...call, charged: settled.charged });
      return settled;
    }
  }

  private settleInTransaction(open: OpenRequest, usage: Usage, status: LlmCallStatus): Promise<RequestSettlement> {
    return this.transactions.run(async (tx) => {
      const settled = await this.credit.settleHold({ holdId: open.hold.id, turnId: open.callId, stages: [{ stage: 'request', model: open.model, usage }] }, tx);
      await this.callLog.record(this.callRecord(open, status, usage, settled.charged), tx);
      return settled;
    });
  }

  /** Nothing charged: the hold goes back whole and the call is logged failed (or interrupted: a stream that broke before any usage), in one transaction. */
  async release(open: OpenRequest, status: LlmCallStatus = 'failed'): Promise<void> {
    await this.transactions.run(async (tx) => {
      await this.callLog.record(this.callRecord(open, status, null, 0n), tx);
      await this.credit.releaseHold(open.hold.id, tx);
    });
  }

  /** The hold alone goes back: no provider call was made, so none is logged (no system key to make it with). */
  async abandon(open: OpenRequest): Promise<void> {
    await this.credit.releaseHold(open.hold.id);
  }

  /** The SQL found the cached settings stale: read them again (a change can't race forever). */
  private staleSettings(version: string, attempt: number): void {
    if (attempt >= MAX_SETTINGS_ATTEMPTS) throw new Error('system settings kept changing while placing or settling a request hold');
    this.settings.invalidate(version);
  }

  private callRecord(open: OpenRequest, status: LlmCallStatus, usage: Usage | null, charged: bigint) {
    return {
      id: open.callId,
      source: 'messages' as const,
      keySource: 'system' as const,
      payer: open.caller.engagementId ? `engagement:${open.caller.engagementId}` : `person:${open.caller.personId}`,
      personId: open.caller.personId,
      engagementId: open.caller.engagementId,
      apiKeyId: open.caller.apiKeyId,
      model: open.model,
      status,
      usage,
      asset: open.hold.asset,
      holdId: open.hold.id,
      held: open.hold.amount,
      charged,
      startedAt: open.startedAt,
      finishedAt: new Date(),
    };
  }
}
