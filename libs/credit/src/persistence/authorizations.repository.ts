import { Injectable } from '@nestjs/common';
import type { Tx } from '@loomworks/database';
import type { Authorization, AuthorizationStatus } from '../domain/authorizations';
import { mapLedgerErrors } from './ledger-errors';

interface AuthorizationRow {
  id: string;
  service_key_id: string;
  person_id: string | null;
  engagement_id: string | null;
  asset: string;
  amount: string;
  captured: string | null;
  status: AuthorizationStatus;
  expires_at: Date;
  metadata: Record<string, unknown>;
  created_at: Date;
}

const COLUMNS =
  'id, service_key_id, person_id, engagement_id, asset, amount::text AS amount, captured::text AS captured, status, expires_at, metadata, created_at';

const toAuthorization = (r: AuthorizationRow): Authorization => ({
  id: r.id,
  serviceKeyId: r.service_key_id,
  personId: r.person_id,
  engagementId: r.engagement_id,
  asset: r.asset,
  amount: BigInt(r.amount),
  captured: r.captured === null ? null : BigInt(r.captured),
  status: r.status,
  expiresAt: r.expires_at,
  metadata: r.metadata,
  createdAt: r.created_at,
});

export interface AuthorizeParams {
  id: string;
  serviceKeyId: string;
  personId: string | null;
  engagementId: string | null;
  amount: bigint;
  /** the assets that may pay, in tier priority */
  assets: string[];
  at: Date;
  expiresAt: Date;
  metadata: Record<string, unknown>;
  settingsVersion: string;
}

export type AuthorizeOutcome =
  | 'authorized'
  | 'person_not_found'
  | 'engagement_not_found'
  | 'account_suspended'
  | 'account_deleted'
  | 'credit_exhausted'
  | 'limit_reached'
  | 'stale_settings';

/**
 * Authorizations are written only by the ledger's SQL functions (sql/authorize.sql,
 * capture_authorization.sql, end_authorization.sql): one statement each, under the payer's lock.
 */
@Injectable()
export class AuthorizationsRepository {
  /** The outcome, and for limit_reached when the short period ends. */
  async authorize(tx: Tx, p: AuthorizeParams): Promise<{ outcome: AuthorizeOutcome; retryAt: Date | null }> {
    const [row]: { outcome: AuthorizeOutcome; retry_at: Date | null }[] = await mapLedgerErrors(
      tx.query(
        `SELECT outcome, retry_at FROM credit.authorize(
           p_id => $1, p_person => $2, p_engagement => $3, p_amount => $4, p_assets => $5, p_at => $6,
           p_expires_at => $7, p_metadata => $8, p_service_key => $9, p_settings_version => $10)`,
        [p.id, p.personId, p.engagementId, p.amount.toString(), p.assets, p.at, p.expiresAt, JSON.stringify(p.metadata), p.serviceKeyId, p.settingsVersion],
      ),
      p.personId ?? undefined,
    );
    return { outcome: row.outcome, retryAt: row.retry_at };
  }

  async capture(tx: Tx, id: string, amount: bigint, at: Date): Promise<{ outcome: string; chargeFlowId: string | null }> {
    const [row]: { outcome: string; charge_flow_id: string | null }[] = await mapLedgerErrors(
      tx.query('SELECT outcome, charge_flow_id::text AS charge_flow_id FROM credit.capture_authorization(p_id => $1, p_amount => $2, p_at => $3)', [
        id,
        amount.toString(),
        at,
      ]),
    );
    return { outcome: row.outcome, chargeFlowId: row.charge_flow_id };
  }

  /** Voids or expires an active authorization; answers 'voided' | 'expired' or why not. */
  async end(tx: Tx, id: string, status: 'voided' | 'expired', at: Date): Promise<string> {
    const [row]: { outcome: string }[] = await mapLedgerErrors(
      tx.query('SELECT credit.end_authorization(p_id => $1, p_status => $2, p_at => $3) AS outcome', [id, status, at]),
    );
    return row.outcome;
  }

  async byId(tx: Tx, id: string): Promise<Authorization | null> {
    const rows: AuthorizationRow[] = await tx.query(`SELECT ${COLUMNS} FROM credit.authorizations WHERE id = $1`, [id]);
    return rows[0] ? toAuthorization(rows[0]) : null;
  }

  /** Ids of active authorizations past their expiry, oldest first. */
  async dueIds(tx: Tx, at: Date, limit: number): Promise<string[]> {
    const rows: { id: string }[] = await tx.query(
      `SELECT id FROM credit.authorizations WHERE status = 'active' AND expires_at <= $1 ORDER BY expires_at LIMIT $2`,
      [at, limit],
    );
    return rows.map((r) => r.id);
  }
}
