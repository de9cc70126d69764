import { Injectable } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import { queryPrepared, Transactions } from '@loomworks/database';

export interface PlaceKeyRequestHoldParams {
  keySha256: Buffer;
  holdId: string;
  requestId: string;
  at: Date;
  ttlSeconds: number;
  maxInFlight: number;
  model: string;
  inputTokens: number;
  maxTokens: number;
  /** every tier asset in priority order, and whether it pays for the model */
  assets: { asset: string; buys: boolean }[];
  settingsVersion: string;
}

export interface PlaceKeyRequestHoldRow {
  outcome:
    | 'invalid_key' | 'placed' | 'model_not_bought' | 'credit_exhausted' | 'limit_reached' | 'not_member'
    | 'account_suspended' | 'account_deleted' | 'turns_in_flight' | 'stale_settings';
  api_key_id: string | null;
  person_id: string | null;
  engagement_id: string | null;
  key_sha256: Buffer | null;
  asset: string | null;
  amount: string | null;
  balance_before: string | null;
  expires_at: Date | null;
  available: string | null;
  available_asset: string | null;
  retry_at: Date | null;
  /** the placement committed without waiting for its flush (a contended payer): confirm it durable before the provider is called */
  confirm: boolean;
}

export interface SettleRequestCallParams {
  holdId: string;
  requestId: string;
  at: Date;
  stages: { stage: 'request'; model: string; tokens: unknown }[];
  lowThresholds: unknown;
  settingsVersion: string;
  /** the call's row as record_llm_calls takes it (LlmCallLog.rowOf) */
  call: Record<string, unknown>;
  /** the hold's person (their row, when contended, makes the settlement commit early) */
  personId: string;
}

export type SettleRequestCallRow =
  /** confirm: committed without waiting for its flush (a contended person): confirm it durable before answering */
  | { outcome: 'settled'; asset: string; held: string; charged: string; balance_after: string; confirm: boolean }
  | { outcome: 'stale_settings' }
  /** the settlement must write notices to the outbox: nothing was written, settle in a transaction */
  | { outcome: 'notices_due' };

/** The Messages API's credit statements (persistence/sql): one round trip each, committed on its own. */
@Injectable()
export class RequestCreditRepository {
  constructor(private readonly transactions: Transactions) {}

  /** The key resolved and the request's hold placed, in one statement (place_key_request_hold.sql). */
  async placeKeyRequestHold(p: PlaceKeyRequestHoldParams): Promise<PlaceKeyRequestHoldRow> {
    // prepared: parsed once per connection, as on every Messages API request
    const [row] = await queryPrepared<PlaceKeyRequestHoldRow>(
      this.transactions.manager,
      'gateway_place_key_request_hold',
      `SELECT outcome, api_key_id, person_id, engagement_id, key_sha256, asset, amount::text AS amount,
              balance_before::text AS balance_before, expires_at, available::text AS available, available_asset, retry_at, confirm
         FROM place_key_request_hold(
                p_key_sha256 => $1, p_hold => $2, p_request => $3, p_at => $4, p_ttl_seconds => $5, p_max_in_flight => $6,
                p_model => $7, p_input_tokens => $8, p_max_tokens => $9, p_assets => $10, p_buys => $11, p_settings_version => $12)`,
      [
        p.keySha256, p.holdId, p.requestId, p.at, p.ttlSeconds, p.maxInFlight, p.model, p.inputTokens, p.maxTokens,
        p.assets.map((a) => a.asset), p.assets.map((a) => a.buys), p.settingsVersion,
      ],
    );
    return row;
  }

  /** The hold settled and the call logged with its charge, in one statement (settle_request_call.sql). */
  async settleRequestCall(p: SettleRequestCallParams): Promise<SettleRequestCallRow> {
    try {
      const [row] = await queryPrepared<SettleRequestCallRow>(
        this.transactions.manager,
        'gateway_settle_request_call',
        `SELECT outcome, asset, held::text AS held, charged::text AS charged, balance_after::text AS balance_after, confirm
           FROM settle_request_call(
                  p_hold => $1, p_turn => $2, p_at => $3, p_stages => $4, p_low_thresholds => $5, p_settings_version => $6, p_call => $7,
                  p_person => $8)`,
        [p.holdId, p.requestId, p.at, JSON.stringify(p.stages), JSON.stringify(p.lowThresholds), p.settingsVersion, JSON.stringify(p.call), p.personId],
      );
      return row;
    } catch (error) {
      if (error instanceof QueryFailedError && (error.driverError as { message?: string }).message === 'settlement_notices_due') return { outcome: 'notices_due' };
      throw error;
    }
  }

  /** A placement that committed early made durable (credit.confirm_hold); false: it was lost with the server before its flush. */
  async confirmHold(holdId: string): Promise<boolean> {
    const [row] = await queryPrepared<{ confirmed: boolean }>(this.transactions.manager, 'gateway_confirm_hold', 'SELECT credit.confirm_hold(p_hold => $1) AS confirmed', [holdId]);
    return row.confirmed;
  }

  /** A settlement that committed early made durable (credit.confirm_settlement); false: it was lost with the server before its flush. */
  async confirmSettlement(holdId: string): Promise<boolean> {
    const [row] = await queryPrepared<{ confirmed: boolean }>(
      this.transactions.manager,
      'gateway_confirm_settlement',
      'SELECT credit.confirm_settlement(p_hold => $1) AS confirmed',
      [holdId],
    );
    return row.confirmed;
  }
}
