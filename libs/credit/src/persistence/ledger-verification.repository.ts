import { Injectable } from '@nestjs/common';
import type { Tx } from '@loomworks/database';
import type { LedgerDrift } from '../domain/ledger';

export interface Checkpoint {
  /** every flow with an id up to this one is folded into credit.verified_sums */
  throughFlowId: string;
  /** how many flows that is */
  flows: number;
}

/** Postgres' code when `lock_timeout` expires. */
const LOCK_NOT_AVAILABLE = '55P03';

/**
 * The SQL of incremental verification. Flows are append-only (the database refuses UPDATE,
 * DELETE and TRUNCATE), so once no flow with an id ≤ W can still appear, the per-(party, asset)
 * sums of the flows up to W are fixed forever; a verification then reads those sums and only the
 * flows after W, instead of every flow.
 */
@Injectable()
export class LedgerVerificationRepository {
  /**
   * The highest flow id that can no longer gain a lower-numbered neighbour, or null when the
   * ledger is too busy right now. Identity values are taken before commit, so a visible flow 7
   * does not prove that flow 6 (of a transaction still running) won't appear later. A SHARE lock
   * waits for every transaction that is inserting flows and keeps new ones out, so the max id read
   * under it is final. It is held for one index lookup, with a short lock_timeout, so writers are
   * never held up for long; on a timeout the previous checkpoint is used.
   */
  async finalFlowId(tx: Tx): Promise<string | null> {
    try {
      await tx.query("SET LOCAL lock_timeout = '200ms'");
      // LOCK TABLE credit.flows IN SHARE MODE, as the table's owner: the API's role may not take it itself.
      await tx.query('SELECT credit.lock_flows_share()');
      const [row]: { id: string }[] = await tx.query('SELECT coalesce(max(id), 0)::text AS id FROM credit.flows');
      return row.id;
    } catch (error) {
      if ((error as { code?: string }).code === LOCK_NOT_AVAILABLE) return null;
      throw error;
    }
  }

  /** How many flow ids lie past the checkpoint (an upper bound on the flows there: ids have gaps). */
  async flowsPastCheckpoint(tx: Tx): Promise<number> {
    const [row]: { n: string }[] = await tx.query(
      'SELECT (coalesce((SELECT max(id) FROM credit.flows), 0) - through_flow_id)::text AS n FROM credit.verification_checkpoint',
    );
    return Number(row.n);
  }

  /** Reads the checkpoint; `forUpdate` serializes concurrent folds. */
  async checkpoint(tx: Tx, forUpdate = false): Promise<Checkpoint> {
    const [row]: { through: string; flows: string }[] = await tx.query(
      `SELECT through_flow_id::text AS through, flows::text AS flows FROM credit.verification_checkpoint${forUpdate ? ' FOR UPDATE' : ''}`,
    );
    return { throughFlowId: row.through, flows: Number(row.flows) };
  }

  /** Adds the sums of the flows in (from, to] to the verified sums and moves the checkpoint to `to`. */
  async fold(tx: Tx, from: string, to: string): Promise<void> {
    await tx.query(
      `WITH pairs AS (
         SELECT from_party, to_party, asset, sum(amount) AS total, count(*) AS n
           FROM credit.flows WHERE id > $1 AND id <= $2 GROUP BY from_party, to_party, asset
       ),
       sums AS (
         SELECT party, asset, sum(delta) AS total
           FROM pairs, LATERAL (VALUES (from_party, -total), (to_party, total)) AS side (party, delta)
          GROUP BY party, asset
       ),
       merged AS (
         INSERT INTO credit.verified_sums AS v (party, asset, total) SELECT party, asset, total FROM sums
         ON CONFLICT (party, asset) DO UPDATE SET total = v.total + EXCLUDED.total
       )
       UPDATE credit.verification_checkpoint
          SET through_flow_id = $2, flows = flows + (SELECT coalesce(sum(n), 0) FROM pairs)`,
      [from, to],
    );
  }

  /**
   * Pairs (party, asset) whose balance differs from the sum of their flows: the verified sums up
   * to the checkpoint plus the flows after it. Flows are grouped by (from, to, asset) first, so
   * the big table is aggregated once, on its own columns.
   */
  async drift(tx: Tx, throughFlowId: string): Promise<LedgerDrift[]> {
    const rows: { party: string; asset: string; balance: string; sum_of_flows: string }[] = await tx.query(
      `WITH pairs AS (
         SELECT from_party, to_party, asset, sum(amount) AS total
           FROM credit.flows WHERE id > $1 GROUP BY from_party, to_party, asset
       ),
       moves AS (
         SELECT party, asset, delta
           FROM pairs, LATERAL (VALUES (from_party, -total), (to_party, total)) AS side (party, delta)
         UNION ALL
         SELECT party, asset, total FROM credit.verified_sums
       ),
       flow_sums AS (SELECT party, asset, sum(delta) AS total FROM moves GROUP BY party, asset),
       balance_sums AS (SELECT party, asset, sum(amount) AS total FROM credit.balances GROUP BY party, asset)
       SELECT party, asset, coalesce(b.total, 0)::text AS balance, coalesce(f.total, 0)::text AS sum_of_flows
         FROM flow_sums f FULL JOIN balance_sums b USING (party, asset)
        WHERE coalesce(b.total, 0) <> coalesce(f.total, 0)
        ORDER BY party, asset`,
      [throughFlowId],
    );
    return rows.map((r) => ({ party: r.party, asset: r.asset, balance: BigInt(r.balance), sumOfFlows: BigInt(r.sum_of_flows) }));
  }

  async countFlowsAfter(tx: Tx, throughFlowId: string): Promise<number> {
    const [row]: { n: string }[] = await tx.query('SELECT count(*)::text AS n FROM credit.flows WHERE id > $1', [throughFlowId]);
    return Number(row.n);
  }

  /**
   * Idempotency keys with two flows. The unique index makes that impossible while it exists and
   * is valid, so the scan of every key runs only when it does not.
   */
  async duplicateIdempotencyKeys(tx: Tx): Promise<string[]> {
    const [guard]: { valid: boolean }[] = await tx.query(
      `SELECT bool_or(i.indisunique AND i.indisvalid) AS valid
         FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        WHERE i.indrelid = 'credit.flows'::regclass AND c.relname = 'flows_idempotency_key'`,
    );
    if (guard?.valid) return [];
    const rows: { key: string }[] = await tx.query(
      'SELECT idempotency_key AS key FROM credit.flows WHERE idempotency_key IS NOT NULL GROUP BY 1 HAVING count(*) > 1',
    );
    return rows.map((r) => r.key);
  }
}
