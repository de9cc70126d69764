import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, isCompleteUsage, timeOrderedUuid, type Clock } from '@loomworks/common';
import { Transactions, type Tx } from '@loomworks/database';
import { SystemConfigService } from '@loomworks/system-config';
import { InvalidAmountError, LostBeforeFlushError, TurnsInFlightError } from './domain/errors';
import { personParty, poolParty } from './domain/ledger';
import type { Hold, PlaceHoldCommand, PlaceHoldResult, SettleHoldCommand, SettlementResult } from './domain/holds';
import { CreditNotices } from './credit-notices';
import { HoldsRepository } from './persistence/holds.repository';

const SWEEP_BATCH = 500;
const MAX_SETTINGS_ATTEMPTS = 5;
const PLACE_SETTINGS = [
  'credit_tier_priority',
  'credit_tier_responder_models',
  'converse_default_classifier_model',
  'hold_ttl_seconds',
  'max_turns_in_flight',
  'converse_min_response_tokens',
] as const;
const SETTLE_SETTINGS = ['low_balance_threshold'] as const;

/**
 * Reservations: place a hold before a system-key turn calls the LLM, settle it with the turn,
 * release it when the LLM fails, expire it when the turn never came back. Each is one call of
 * the ledger's SQL functions (persistence/sql/*.sql: the rules they apply).
 */
@Injectable()
export class HoldsService {
  constructor(
    private readonly transactions: Transactions,
    private readonly holds: HoldsRepository,
    private readonly settings: SystemConfigService,
    private readonly notices: CreditNotices,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /**
   * Gate, tier and hold in one statement under the person's row lock (no LLM call has happened
   * yet); the settings come from memory (re-read only when the statement finds them stale).
   * Throws TurnsInFlightError at max_turns_in_flight active holds. A refusal for credit
   * announces the exhaustion (credit.exhausted, once per person and asset until credit arrives).
   */
  async place(command: PlaceHoldCommand): Promise<PlaceHoldResult> {
    for (const bound of [command.classify, command.respond]) {
      if (![bound.inputTokens, bound.maxTokens].every((n) => Number.isSafeInteger(n) && n >= 0)) {
        throw new InvalidAmountError('token bounds must be non-negative integers');
      }
    }
    // Time-ordered: hold:<id> and release:<id> go into the flows' unique key index (timeOrderedUuid).
    const holdId = timeOrderedUuid();
    for (let attempt = 1; ; attempt++) {
      const { version, values } = await this.settings.cached(PLACE_SETTINGS);
      const [priority, responderModels, classifierModel, ttlSeconds, maxInFlight, minResponseTokens] = values;
      const tiers = priority.flatMap((asset) => (responderModels[asset] ? [{ asset, responderModel: responderModels[asset] }] : []));
      // A single statement commits on its own: no transaction round trips around it.
      const pool = Boolean(command.poolEngagementId);
      const row = await this.holds.place(this.transactions.manager, {
        personId: command.personId,
        payer: payerParty(command),
        asyncCommit: pool,
        holdId,
        turnId: command.turnId,
        at: this.clock.now(),
        ttlSeconds,
        maxInFlight,
        minResponseTokens: Math.min(minResponseTokens, command.respond.maxTokens),
        classifierModel,
        classify: command.classify,
        respond: command.respond,
        tiers,
        settingsVersion: version,
      });
      if (row.outcome === 'stale_settings') {
        this.staleSettings(version, attempt);
        continue;
      }
      if (row.outcome === 'turns_in_flight') throw new TurnsInFlightError(maxInFlight);
      // credit.exhausted is the person's notice about their own credit, not about a team's pool
      if (row.outcome === 'credit_exhausted' && !command.poolEngagementId) await this.notices.exhausted(command.personId, tiers.map((t) => t.asset));
      if (row.outcome !== 'placed') return { status: row.outcome };
      // A pool's hold was committed without waiting for its flush: durable before anything acts on it.
      if (pool && !(await this.holds.confirm(this.transactions.manager, holdId))) throw new LostBeforeFlushError(`hold ${holdId}`);
      return {
        status: 'placed',
        hold: { id: holdId, asset: row.asset!, amount: BigInt(row.amount!), expiresAt: row.expires_at! },
        models: { classifier: classifierModel, responder: row.responder_model! },
        respondMaxTokens: Number(row.max_tokens),
        balanceBefore: BigInt(row.balance_before!),
      };
    }
  }

  /**
   * In the transaction that records the turns: release the hold, charge each stage at the rates
   * its hold recorded when placed (so truthful usage never exceeds it), mark the hold settled. This is the one place a turn's money settles.
   */
  async settle(command: SettleHoldCommand, tx?: Tx): Promise<SettlementResult> {
    for (const s of command.stages) if (!isCompleteUsage(s.usage)) throw new InvalidAmountError('token counts must be non-negative integers');
    const stages = command.stages.map((s) => ({ stage: s.stage, model: s.model, tokens: s.usage }));
    return this.transactions.join(tx, async (t) => {
      for (let attempt = 1; ; attempt++) {
        const { version, values } = await this.settings.cached(SETTLE_SETTINGS);
        const row = await this.holds.settle(t, {
          holdId: command.holdId,
          turnId: command.turnId,
          at: this.clock.now(),
          stages,
          lowThresholds: values[0],
          settingsVersion: version,
        });
        if (row.outcome === 'stale_settings') {
          this.staleSettings(version, attempt);
          continue;
        }
        const settled: SettlementResult = {
          asset: row.asset,
          held: BigInt(row.held),
          charged: BigInt(row.charged),
          balanceBefore: BigInt(row.balance_before),
          balanceAfter: BigInt(row.balance_after),
          holdExceeded: row.hold_exceeded,
          late: row.late,
          stages: row.stages.map((s) => ({ stage: s.stage, credits: BigInt(s.credits), flowId: s.flowId })),
        };
        await this.notices.settled(t, { ...command, personId: row.person_id }, settled, row);
        return settled;
      }
    });
  }

  /** The SQL found the cached settings stale: read them again (a change can't race forever). */
  private staleSettings(version: string, attempt: number): void {
    if (attempt >= MAX_SETTINGS_ATTEMPTS) throw new Error('system settings kept changing while placing or settling a hold');
    this.settings.invalidate(version);
  }

  /** Returns a hold's credit at once (its LLM call failed), in `tx` when given; false when it was no longer active. */
  release(holdId: string, tx?: Tx): Promise<boolean> {
    return this.holds.end(tx ?? this.transactions.manager, holdId, 'released', this.clock.now());
  }

  /**
   * Expires every active hold past hold_ttl_seconds (its turn never settled: the server died):
   * each is released in its own short statement. Answers how many were expired. The
   * reconciler calls this; placing a hold also expires the person's own stale holds.
   */
  async sweepExpired(): Promise<number> {
    let expired = 0;
    for (;;) {
      const ids = await this.holds.expiredIds(this.transactions.manager, this.clock.now(), SWEEP_BATCH);
      for (const id of ids) if (await this.holds.end(this.transactions.manager, id, 'expired', this.clock.now())) expired++;
      if (ids.length < SWEEP_BATCH) return expired;
    }
  }

  activeHolds(personId: string, tx?: Tx): Promise<Hold[]> {
    return this.holds.activeOf(tx ?? this.transactions.manager, personId);
  }

  byId(holdId: string): Promise<Hold | null> {
    return this.holds.byId(this.transactions.manager, holdId);
  }
}

/** The ledger party that pays for a hold: a team pool, or the person's own credit. */
export function payerParty(command: { personId: string; poolEngagementId?: string }): string {
  return command.poolEngagementId ? poolParty(command.poolEngagementId) : personParty(command.personId);
}
