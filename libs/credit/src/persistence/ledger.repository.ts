import { Injectable } from '@nestjs/common';
import { queryPrepared, type Tx } from '@loomworks/database';
import type { Balance } from '../domain/tiers';
import type { Flow, FlowInput, FlowKind } from '../domain/ledger';
import { LedgerKeyReusedError } from '../domain/errors';
import type { Hold, HoldStatus } from '../domain/holds';

interface HoldJson {
  id: string;
  amount: string;
  turnId: string;
  status: HoldStatus;
  expiresAt: string;
  createdAt: string;
}

interface FlowRow {
  id: string;
  kind: FlowKind;
  asset: string;
  amount: string;
  from_party: string;
  to_party: string;
  person_id: string | null;
  grant_id: string | null;
  idempotency_key: string | null;
  metadata: Record<string, unknown>;
  created_at: Date;
}

const toFlow = (row: FlowRow): Flow => ({
  id: row.id,
  kind: row.kind,
  asset: row.asset,
  amount: BigInt(row.amount),
  from: row.from_party,
  to: row.to_party,
  personId: row.person_id,
  grantId: row.grant_id,
  idempotencyKey: row.idempotency_key,
  metadata: row.metadata,
  createdAt: row.created_at,
});

const FLOW_COLUMNS =
  'id::text AS id, kind, asset, amount::text AS amount, from_party, to_party, person_id, grant_id, idempotency_key, metadata, created_at';

/**
 * The ledger's SQL, explicit because it is the money path: flows are only ever inserted
 * (the trigger keeps balances), and an idempotency key makes a retried write return the first flow.
 */
@Injectable()
export class LedgerRepository {
  /** Inserts the flow, or returns the flow already written under its idempotency key. */
  async insertFlow(tx: Tx, input: FlowInput, at: Date): Promise<{ flow: Flow; created: boolean }> {
    const rows: FlowRow[] = await tx.query(
      `INSERT INTO credit.flows (kind, asset, amount, from_party, to_party, person_id, grant_id, idempotency_key, metadata, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
       RETURNING ${FLOW_COLUMNS}`,
      [
        input.kind,
        input.asset,
        input.amount.toString(),
        input.from,
        input.to,
        input.personId,
        input.grantId ?? null,
        input.idempotencyKey ?? null,
        JSON.stringify(input.metadata ?? {}),
        at,
      ],
    );
    if (rows.length === 1) return { flow: toFlow(rows[0]), created: true };
    const existing = (await this.flowByIdempotencyKey(tx, input.idempotencyKey!))!;
    // A retry gets the first flow back; another transfer under the same key is a bug, never answered with it.
    const same =
      existing.kind === input.kind && existing.asset === input.asset && existing.amount === input.amount &&
      existing.from === input.from && existing.to === input.to;
    if (!same) throw new LedgerKeyReusedError(input.idempotencyKey!);
    return { flow: existing, created: false };
  }

  async flowByIdempotencyKey(tx: Tx, key: string): Promise<Flow | null> {
    const rows: FlowRow[] = await tx.query(`SELECT ${FLOW_COLUMNS} FROM credit.flows WHERE idempotency_key = $1`, [key]);
    return rows[0] ? toFlow(rows[0]) : null;
  }

  /** All of a party's balances in one primary-key range scan. */
  async balancesOf(tx: Tx, party: string): Promise<Balance[]> {
    const rows: { asset: string; amount: string }[] = await tx.query(
      'SELECT asset, sum(amount)::text AS amount FROM credit.balances WHERE party = $1 GROUP BY asset ORDER BY asset',
      [party],
    );
    return rows.map((r) => ({ asset: r.asset, amount: BigInt(r.amount) }));
  }

  /**
   * A person's balances and active holds per asset, and the system_config version (so the
   * caller can use settings cached at that version without reading them), in one call
   * (sql/credit_view.sql).
   */
  async creditOf(tx: Tx, personId: string): Promise<{ settingsVersion: string; rows: { asset: string; amount: bigint; held: bigint; holds: Hold[] }[] }> {
    const rows = await queryPrepared<{ version: string; asset: string | null; amount: string; held: string; holds: HoldJson[] | null }>(
      tx,
      'credit_view',
      'SELECT settings_version::text AS version, asset, amount::text AS amount, held::text AS held, holds FROM credit.credit_view(p_person => $1)',
      [personId],
    );
    return {
      settingsVersion: rows[0].version,
      rows: rows.flatMap((r) =>
        r.asset === null
          ? []
          : [
              {
                asset: r.asset,
                amount: BigInt(r.amount),
                held: BigInt(r.held),
                holds: (r.holds ?? []).map((h) => ({
                  id: h.id,
                  personId,
                  asset: r.asset!,
                  amount: BigInt(h.amount),
                  turnId: h.turnId,
                  status: h.status,
                  expiresAt: new Date(h.expiresAt),
                  createdAt: new Date(h.createdAt),
                })),
              },
            ],
      ),
    };
  }

  async balanceOf(tx: Tx, party: string, asset: string): Promise<bigint> {
    const [row]: { amount: string }[] = await tx.query(
      'SELECT coalesce(sum(amount), 0)::text AS amount FROM credit.balances WHERE party = $1 AND asset = $2',
      [party, asset],
    );
    return BigInt(row.amount);
  }

  /** A person's flows, newest first, after the flow id `before` when given (keyset pagination). */
  async flowsOfPerson(tx: Tx, personId: string, limit: number, before?: string): Promise<Flow[]> {
    // `flows.id`, qualified: a bare `id` in ORDER BY names the SELECT's `id::text AS id` and sorts
    // as text (…, 2, 12, 11), which hid the newest flows once ids crossed 9→10 or 99→100.
    const rows: FlowRow[] = await tx.query(
      `SELECT ${FLOW_COLUMNS} FROM credit.flows
        WHERE person_id = $1 AND ($2::bigint IS NULL OR flows.id < $2::bigint)
        ORDER BY flows.id DESC LIMIT $3`,
      [personId, before ?? null, limit],
    );
    return rows.map(toFlow);
  }

  async unbalancedAssets(tx: Tx): Promise<{ asset: string; sum: bigint }[]> {
    const rows: { asset: string; sum: string }[] = await tx.query(
      'SELECT asset, sum(amount)::text AS sum FROM credit.balances GROUP BY asset HAVING sum(amount) <> 0 ORDER BY asset',
    );
    return rows.map((r) => ({ asset: r.asset, sum: BigInt(r.sum) }));
  }
}
