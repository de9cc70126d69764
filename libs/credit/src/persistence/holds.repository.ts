import { Injectable } from '@nestjs/common';
import { queryPrepared, type Tx } from '@loomworks/database';
import { mapLedgerErrors } from './ledger-errors';
import type { Hold, HoldStatus } from '../domain/holds';
import type { Usage } from '@loomworks/common';

export interface PlaceHoldRow {
  outcome: 'placed' | 'account_suspended' | 'account_deleted' | 'credit_exhausted' | 'limit_reached' | 'turns_in_flight' | 'stale_settings';
  asset: string | null;
  responder_model: string | null;
  amount: string | null;
  max_tokens: string | null;
  balance_before: string | null;
  expires_at: Date | null;
}

export interface PlaceHoldParams {
  personId: string;
  /** the party that pays: person:<id> or engagement:<id> (a team pool) */
  payer: string;
  holdId: string;
  turnId: string;
  at: Date;
  ttlSeconds: number;
  maxInFlight: number;
  minResponseTokens: number;
  classifierModel: string;
  classify: { inputTokens: number; maxTokens: number };
  respond: { inputTokens: number; maxTokens: number };
  /** tiers in priority order with their responder models */
  tiers: { asset: string; responderModel: string }[];
  /** the system_config version these settings were read at */
  settingsVersion: string;
  /**
   * A team pool's placement commits without waiting for its WAL flush, so the pool's lock is not
   * held through it (place_hold.sql); the caller then confirms it durable (confirm) before use.
   */
  asyncCommit: boolean;
}

export interface SettleHoldParams {
  holdId: string;
  turnId: string;
  at: Date;
  stages: { stage: string; model: string; tokens: Usage }[];
  /** asset → credits: a balance ending below crosses (credit.low) */
  lowThresholds: Record<string, number>;
  settingsVersion: string;
}

export type SettleRow = { outcome: 'stale_settings' } | SettledRow;

export interface SettledRow {
  outcome: 'settled';
  person_id: string;
  asset: string;
  held: string;
  charged: string;
  balance_before: string;
  balance_after: string;
  hold_exceeded: boolean;
  late: boolean;
  stages: { stage: string; credits: number; flowId: string | null }[];
  low_crossed: boolean;
  /** when low_crossed: the person's credit after (spendable + still held), the threshold, the address */
  credit_after: string | null;
  low_threshold: string | null;
  email: string | null;
  /** when low_crossed on a team pool: its active owners' addresses (pool.low) */
  pool_owner_emails: string[] | null;
  pool_name: string | null;
  /** the hold's payer ('person:<id>' or 'engagement:<id>') and API key */
  payer: string;
  api_key_id: string | null;
  /** the budget.threshold crossings this settlement fired */
  alerts: SpendAlert[];
}

/** A limit of the hold's scopes whose spend reached a threshold in the period the hold was placed in. */
export interface SpendAlert {
  kind: 'person' | 'member' | 'apiKey';
  period: 'day' | 'week' | 'month';
  periodStart: string;
  limit: number;
  spent: number;
  threshold: 80 | 100;
}

interface HoldRow {
  id: string;
  person_id: string;
  asset: string;
  amount: string;
  turn_id: string;
  status: HoldStatus;
  expires_at: Date;
  created_at: Date;
}

const toHold = (r: HoldRow): Hold => ({
  id: r.id,
  personId: r.person_id,
  asset: r.asset,
  amount: BigInt(r.amount),
  turnId: r.turn_id,
  status: r.status,
  expiresAt: r.expires_at,
  createdAt: r.created_at,
});

const HOLD_COLUMNS = 'id, person_id, asset, amount::text AS amount, turn_id, status, expires_at, created_at';

/**
 * Holds are written only by the ledger's SQL functions (sql/place_hold.sql, settle_hold.sql,
 * end_hold.sql) — one round trip per phase, under the person's row lock. This repository calls
 * them and maps the errors they raise to typed ones.
 */
@Injectable()
export class HoldsRepository {
  async place(tx: Tx, p: PlaceHoldParams): Promise<PlaceHoldRow> {
    // prepared, as every turn places a hold: parsed and planned once per connection, not per call
    const [row] = await mapLedgerErrors(
      queryPrepared<PlaceHoldRow>(
        tx,
        'credit_place_hold',
        `SELECT outcome, asset, responder_model, amount::text AS amount, max_tokens::text AS max_tokens,
                balance_before::text AS balance_before, expires_at
           FROM credit.place_hold(
                  p_person => $1, p_hold => $2, p_turn => $3, p_at => $4, p_ttl_seconds => $5, p_max_in_flight => $6,
                  p_min_tokens => $7, p_classifier => $8, p_classify_input => $9, p_classify_max => $10,
                  p_respond_input => $11, p_respond_max => $12, p_assets => $13, p_models => $14, p_settings_version => $15,
                  p_payer => $16, p_async_commit => $17)`,
        [
          p.personId, p.holdId, p.turnId, p.at, p.ttlSeconds, p.maxInFlight, p.minResponseTokens, p.classifierModel,
          p.classify.inputTokens, p.classify.maxTokens, p.respond.inputTokens, p.respond.maxTokens,
          p.tiers.map((t) => t.asset), p.tiers.map((t) => t.responderModel), p.settingsVersion, p.payer, p.asyncCommit,
        ],
      ),
      p.personId,
    );
    return row;
  }

  /**
   * Makes a hold placed with asyncCommit durable (confirm_hold.sql); false when the hold is gone
   * (the server that took it was lost before its WAL flush). Its own statement: it must commit.
   */
  async confirm(tx: Tx, holdId: string): Promise<boolean> {
    const [row]: { confirmed: boolean }[] = await tx.query('SELECT credit.confirm_hold(p_hold => $1) AS confirmed', [holdId]);
    return row.confirmed;
  }

  async settle(tx: Tx, p: SettleHoldParams): Promise<SettleRow> {
    const [row] = await mapLedgerErrors(
      queryPrepared<SettleRow>(
        tx,
        'credit_settle_hold',
        `SELECT outcome, person_id, asset, held::text AS held, charged::text AS charged, balance_before::text AS balance_before,
                balance_after::text AS balance_after, hold_exceeded, late, stages, low_crossed,
                credit_after::text AS credit_after, low_threshold::text AS low_threshold, email, pool_owner_emails, pool_name, payer, api_key_id, alerts
           FROM credit.settle_hold(
                  p_hold => $1, p_turn => $2, p_at => $3, p_stages => $4, p_low_thresholds => $5, p_settings_version => $6)`,
        [p.holdId, p.turnId, p.at, JSON.stringify(p.stages), JSON.stringify(p.lowThresholds), p.settingsVersion],
      ),
    );
    return row;
  }

  /**
   * After a refusal for credit: the person's assets among `assets` whose exhaustion was not
   * announced since their last grant, adjustment or referral credit — marked announced now
   * (credit.exhaustion_notices; a credit to the person removes the mark). Deleted persons get none.
   */
  async markExhausted(tx: Tx, personId: string, assets: string[], at: Date): Promise<{ asset: string; balance: bigint; email: string }[]> {
    const rows: { asset: string; balance: string; email: string }[] = await tx.query(
      `WITH person AS (SELECT id, email FROM persons WHERE id = $1 AND account_status <> 'deleted' FOR NO KEY UPDATE),
            due AS (
              SELECT b.asset, sum(b.amount) AS balance FROM credit.balances b, person
               WHERE b.party = 'person:' || person.id AND b.asset = ANY ($2::text[])
               GROUP BY b.asset),
            marked AS (
              INSERT INTO credit.exhaustion_notices (person_id, asset, notified_at)
              SELECT $1, asset, $3 FROM due ON CONFLICT (person_id, asset) DO NOTHING RETURNING asset)
       SELECT marked.asset, due.balance::text AS balance, person.email
         FROM marked JOIN due USING (asset) CROSS JOIN person ORDER BY marked.asset`,
      [personId, assets, at],
    );
    return rows.map((r) => ({ asset: r.asset, balance: BigInt(r.balance), email: r.email }));
  }

  /** Ends an active hold without a charge; false when it was no longer active. */
  async end(tx: Tx, holdId: string, status: 'released' | 'expired', at: Date): Promise<boolean> {
    const [row]: { ended: boolean }[] = await mapLedgerErrors(tx.query('SELECT credit.end_hold(p_hold => $1, p_status => $2, p_at => $3) AS ended', [holdId, status, at]));
    return row.ended;
  }

  /** Ids of active holds past their expiry, oldest first. */
  async expiredIds(tx: Tx, at: Date, limit: number): Promise<string[]> {
    const rows: { id: string }[] = await tx.query(
      `SELECT id FROM credit.holds WHERE status = 'active' AND expires_at <= $1 ORDER BY expires_at LIMIT $2`,
      [at, limit],
    );
    return rows.map((r) => r.id);
  }

  async activeOf(tx: Tx, personId: string): Promise<Hold[]> {
    const rows: HoldRow[] = await tx.query(
      `SELECT ${HOLD_COLUMNS} FROM credit.holds WHERE person_id = $1 AND status = 'active' ORDER BY created_at DESC, id`,
      [personId],
    );
    return rows.map(toHold);
  }

  async byId(tx: Tx, holdId: string): Promise<Hold | null> {
    const rows: HoldRow[] = await tx.query(`SELECT ${HOLD_COLUMNS} FROM credit.holds WHERE id = $1`, [holdId]);
    return rows[0] ? toHold(rows[0]) : null;
  }
}
