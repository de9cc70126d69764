import { Injectable } from '@nestjs/common';
import { queryPrepared, type Tx } from '@loomworks/database';
import type { Balance } from '../domain/tiers';
import type { Flow, FlowInput, FlowKind } from '../domain/ledger';
import { mapLedgerErrors } from './ledger-errors';
import type { Hold, HoldStatus } from '../domain/holds';

interface HoldJson {
  id: string;
  personId: string;
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
  /**
   * Appends the flow through the ledger's one flow writer (sql/write_flow.sql), or answers the
   * flow already written under its idempotency key (created: false); the same key for another
   * transfer is refused (LedgerKeyReusedError), a balance leaving ±(2^53−1) too (InvalidAmountError).
   */
  async writeFlow(tx: Tx, input: FlowInput, at: Date): Promise<{ flow: Flow; created: boolean }> {
    const [written]: { flow_id: string; created: boolean }[] = await mapLedgerErrors(
      tx.query(
        `SELECT flow_id::text AS flow_id, created FROM credit.write_flow(
           p_kind => $1, p_asset => $2, p_amount => $3, p_from => $4, p_to => $5, p_person => $6,
           p_key => $7, p_metadata => $8, p_at => $9, p_grant => $10)`,
        [
          input.kind,
          input.asset,
          input.amount.toString(),
          input.from,
          input.to,
          input.personId,
          input.idempotencyKey ?? null,
          JSON.stringify(input.metadata ?? {}),
          at,
          input.grantId ?? null,
        ],
      ),
    );
    // A second statement: the writer's insert is not visible to the statement that called it.
    const [row]: FlowRow[] = await tx.query(`SELECT ${FLOW_COLUMNS} FROM credit.flows WHERE id = $1`, [written.flow_id]);
    return { flow: toFlow(row), created: written.created };
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
   * A payer's (a person's or a team pool's) balances and the active holds it pays, per asset, and the system_config version (so the
   * caller can use settings cached at that version without reading them), in one call
   * (sql/credit_view.sql).
   */
  async creditOf(tx: Tx, party: string): Promise<{ settingsVersion: string; rows: { asset: string; amount: bigint; held: bigint; holds: Hold[] }[] }> {
    const rows = await queryPrepared<{ version: string; asset: string | null; amount: string; held: string; holds: HoldJson[] | null }>(
      tx,
      'credit_view',
      'SELECT settings_version::text AS version, asset, amount::text AS amount, held::text AS held, holds FROM credit.credit_view(p_party => $1)',
      [party],
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
                  personId: h.personId,
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

  /**
   * A payer's balances at an instant: per asset it ever held, the sum of its flows created at or
   * before `at` (0 before its first). Each sum is a range read of the partial indexes
   * flows_to_party_at_idx / flows_from_party_at_idx (index-only, `amount` included), never a scan
   * of the ledger. Payer parties only (persons, pools): system parties are not indexed.
   */
  async balancesAsOf(tx: Tx, party: string, at: Date): Promise<Balance[]> {
    const rows = await queryPrepared<{ asset: string; amount: string }>(
      tx,
      'balances_as_of',
      `SELECT b.asset,
              (coalesce((SELECT sum(f.amount) FROM credit.flows f
                          WHERE f.to_party = $1 AND f.asset = b.asset AND f.created_at <= $2 AND f.to_party NOT LIKE 'system:%'), 0)
             - coalesce((SELECT sum(f.amount) FROM credit.flows f
                          WHERE f.from_party = $1 AND f.asset = b.asset AND f.created_at <= $2 AND f.from_party NOT LIKE 'system:%'), 0))::text AS amount
         FROM (SELECT DISTINCT asset FROM credit.balances WHERE party = $1) b
        ORDER BY b.asset`,
      [party, at],
    );
    return rows.map((r) => ({ asset: r.asset, amount: BigInt(r.amount) }));
  }

  /** Takes a payer's row lock (sql/lock_payer.sql): EngagementNotFoundError for an unknown team pool. */
  /** The flows with these ids, in id order. */
  async flowsByIds(tx: Tx, ids: string[]): Promise<Flow[]> {
    const rows: FlowRow[] = await tx.query(`SELECT ${FLOW_COLUMNS} FROM credit.flows WHERE id = ANY ($1::bigint[]) ORDER BY id`, [ids]);
    return rows.map(toFlow);
  }

  async lockPayer(tx: Tx, party: string): Promise<void> {
    await mapLedgerErrors(tx.query('SELECT credit.lock_payer(p_payer => $1)', [party]));
  }

  async balanceOf(tx: Tx, party: string, asset: string): Promise<bigint> {
    const [row]: { amount: string }[] = await tx.query(
      'SELECT coalesce(sum(amount), 0)::text AS amount FROM credit.balances WHERE party = $1 AND asset = $2',
      [party, asset],
    );
    return BigInt(row.amount);
  }

  /**
   * A pool's flows, newest first. A pool's party is on either side of its flows (never
   * person_id, which names the member): each side's page is read newest first from its own
   * partial index (flows_to_pool_idx, flows_from_pool_idx: a query must repeat their predicate to
   * use them), then the two pages are merged. One OR over both sides can't walk an index in id
   * order, so it fetched and sorted the pool's whole history for every page.
   */
  async flowsOfPool(tx: Tx, pool: string, limit: number, before?: string): Promise<Flow[]> {
    const rows: FlowRow[] = await tx.query(
      `SELECT ${FLOW_COLUMNS} FROM (
          (SELECT * FROM credit.flows WHERE to_party = $1 AND to_party LIKE 'engagement:%' AND ($2::bigint IS NULL OR id < $2::bigint)
            ORDER BY id DESC LIMIT $3)
          UNION ALL
          -- a flow from the pool to itself is in the first page already
          (SELECT * FROM credit.flows WHERE from_party = $1 AND from_party LIKE 'engagement:%' AND to_party <> $1 AND ($2::bigint IS NULL OR id < $2::bigint)
            ORDER BY id DESC LIMIT $3)
        ) flows
        ORDER BY flows.id DESC LIMIT $3`,
      [pool, before ?? null, limit],
    );
    return rows.map(toFlow);
  }

  /**
   * A person's flows, newest first, after the flow id `before` when given (keyset pagination): the
   * flows of their own credit. A team pool's flows name the member who spent (person_id) but move
   * the pool's credit, not theirs, so they are left out — in a member's history they read as the
   * member's own spending (direction and counterparty are the person's side of a flow).
   */
  async flowsOfPerson(tx: Tx, personId: string, limit: number, before?: string): Promise<Flow[]> {
    // `flows.id`, qualified: a bare `id` in ORDER BY names the SELECT's `id::text AS id` and sorts
    // as text (…, 2, 12, 11), which hid the newest flows once ids crossed 9→10 or 99→100.
    // The party test is written on the row's own person_id and as one `… IS TRUE` expression, the
    // expression of the statistics credit.flows_person_is_party (migration PersonHistoryStatistics):
    // so estimated, the planner walks flows_person_idx newest first and stops after the page. With
    // `from_party = $party OR to_party = $party` it took the two tests as independent, expected less
    // than a page and fetched and sorted the person's whole history.
    const rows: FlowRow[] = await tx.query(
      `SELECT ${FLOW_COLUMNS} FROM credit.flows
        WHERE person_id = $1 AND (from_party = 'person:' || person_id::text OR to_party = 'person:' || person_id::text) IS TRUE
          AND ($2::bigint IS NULL OR flows.id < $2::bigint)
        ORDER BY flows.id DESC LIMIT $3`,
      [personId, before ?? null, limit],
    );
    return rows.map(toFlow);
  }
}
