import { Injectable } from '@nestjs/common';
import type { Tx } from '@loomworks/database';
import type { LedgerDrift } from '../domain/ledger';
import { GENESIS_HASH, type BrokenSeal } from '../domain/seals';
import { sealDigest, type SealEncoding } from './seals.repository';

interface DriftRow {
  party: string;
  asset: string;
  balance: string;
  sum_of_flows: string;
}

const asDrift = (r: DriftRow): LedgerDrift => ({ party: r.party, asset: r.asset, balance: BigInt(r.balance), sumOfFlows: BigInt(r.sum_of_flows) });

/** A person's balance below zero in an asset. */
export interface NegativeBalance {
  party: string;
  asset: string;
  balance: bigint;
}

export interface Checkpoint {
  /** every flow with an id up to this one is folded into credit.verified_sums */
  throughFlowId: string;
  /** how many flows that is */
  flows: number;
}

/**
 * Every query of ledger verification. Incremental: flows are append-only (the database refuses
 * UPDATE, DELETE and TRUNCATE), and a sealed flow can no longer gain a lower-numbered neighbour,
 * so the per-(party, asset) sums of the sealed flows are kept (verified_sums) and a verification
 * reads those sums and only the flows after them. Full: everything from the flows, every seal
 * recomputed — which is what catches a table owner who rewrote sealed flows.
 */
@Injectable()
export class LedgerVerificationRepository {
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

  /**
   * Adds the sums of the flows in (from, to] to the verified sums and moves the checkpoint to `to`;
   * watches the persons' pairs those flows leave below zero (checkTouched), and stops watching the
   * pairs watched for that reason alone whose balance is back at zero or above (in a later
   * statement: a flow that changes them afterwards commits after this fold began, so lies past
   * `to`, and the next fold to fold it watches the pair again if it is then below zero).
   */
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
       ),
       watched AS (
         INSERT INTO credit.verification_watch (party, asset, outside_flow)
         SELECT party, asset, false FROM sums s
          WHERE party LIKE 'person:%' AND (SELECT sum(amount) FROM credit.balances b WHERE b.party = s.party AND b.asset = s.asset) < 0
         ON CONFLICT (party, asset) DO NOTHING
       )
       UPDATE credit.verification_checkpoint
          SET through_flow_id = $2, flows = flows + (SELECT coalesce(sum(n), 0) FROM pairs)`,
      [from, to],
    );
    await tx.query(
      `DELETE FROM credit.verification_watch w
        WHERE NOT w.outside_flow
          AND coalesce((SELECT sum(amount) FROM credit.balances b WHERE b.party = w.party AND b.asset = w.asset), 0) >= 0`,
    );
  }

  /**
   * Pairs (party, asset) whose balance differs from the sum of their flows: the verified sums up
   * to the checkpoint plus the flows after it (`throughFlowId` null: every flow, no verified sums),
   * for every pair — or only those of `assets`, when given — and how many flows that read.
   * Flows are grouped by (from, to, asset) first, so the big table is aggregated once, on its own
   * columns, and counted in the same pass (verify?full's flow count).
   */
  async drift(tx: Tx, throughFlowId: string | null, assets: string[] | null = null): Promise<{ drift: LedgerDrift[]; flows: number }> {
    const rows: (DriftRow & { flows: string | null })[] = await tx.query(
      `WITH pairs AS (
         SELECT from_party, to_party, asset, sum(amount) AS total, count(*) AS n
           FROM credit.flows WHERE id > coalesce($1::bigint, 0) AND ($2::text[] IS NULL OR asset = ANY ($2)) GROUP BY from_party, to_party, asset
       ),
       moves AS (
         SELECT party, asset, delta
           FROM pairs, LATERAL (VALUES (from_party, -total), (to_party, total)) AS side (party, delta)
         UNION ALL
         SELECT party, asset, total FROM credit.verified_sums WHERE $1::bigint IS NOT NULL AND ($2::text[] IS NULL OR asset = ANY ($2))
       ),
       flow_sums AS (SELECT party, asset, sum(delta) AS total FROM moves GROUP BY party, asset),
       balance_sums AS (SELECT party, asset, sum(amount) AS total FROM credit.balances WHERE $2::text[] IS NULL OR asset = ANY ($2) GROUP BY party, asset),
       drifting AS (
         SELECT party, asset, coalesce(b.total, 0)::text AS balance, coalesce(f.total, 0)::text AS sum_of_flows
           FROM flow_sums f FULL JOIN balance_sums b USING (party, asset)
          WHERE coalesce(b.total, 0) <> coalesce(f.total, 0)
       )
       SELECT party, asset, balance, sum_of_flows, NULL AS flows FROM (SELECT * FROM drifting ORDER BY party, asset) d
       UNION ALL
       SELECT NULL, NULL, NULL, NULL, coalesce(sum(n), 0)::text FROM pairs`,
      [throughFlowId, assets],
    );
    const total = rows.pop()!;
    return { drift: rows.map(asDrift), flows: Number(total.flows) };
  }

  /**
   * The incremental verify's balance checks, read by key: the pairs (party, asset) the flows past
   * the checkpoint touched, and those in credit.verification_watch (migration VerificationWatch),
   * each balance beside its verified sum plus its flows past the checkpoint. Its cost follows the
   * new flows and the watch, never the ledger or the number of balances.
   *
   * Why that covers every balance. Call a pair "clean" when its balance equals the sum of its
   * flows. A balance changes only (a) by the flows trigger, one flow at a time, adding exactly
   * that flow — so a clean pair stays clean — or (b) by a write outside a flow, which the
   * balances_watch trigger records as `outside_flow` (only the table's owner can disable that
   * trigger; verify?full recomputes every balance for that case). The migration watched every
   * pair of an asset that didn't sum to zero then (a change that kept the sums at zero before it
   * was left to verify?full, as it was before), so every pair neither touched since the checkpoint
   * nor watched is clean, and:
   * - drift: a pair that isn't clean is among those compared here;
   * - zero sum: per asset, Σ balances = Σ (balance − sum of its flows) + Σ sums of flows, and the
   *   last term is zero (each flow adds −amount to one side and +amount to the other, in one
   *   asset). Clean pairs add nothing to the first term, so the asset's sum is the sum of the
   *   differences of the drifting pairs found here — exact, with no scan of the balances;
   * - below zero: a person's pair below zero that no flow past the checkpoint touched and nothing
   *   outside a flow wrote got there by its last flow, which is folded: the fold that folded it
   *   saw that balance (sealed flows committed before the seal, so before the fold began, and no
   *   later flow has touched the pair) and watched the pair (fold()); a watch entry is only
   *   dropped by a fold that sees the balance at zero or above, after which only a flow past
   *   that fold's checkpoint, or a write outside a flow, can take it below zero again.
   */
  async checkTouched(tx: Tx, throughFlowId: string): Promise<{ drift: LedgerDrift[]; unbalancedAssets: { asset: string; sum: bigint }[]; negative: NegativeBalance[] }> {
    const rows: DriftRow[] = await tx.query(
      `WITH pairs AS (
         SELECT from_party, to_party, asset, sum(amount) AS total
           FROM credit.flows WHERE id > $1 GROUP BY from_party, to_party, asset
       ),
       tail AS (
         SELECT party, asset, sum(delta) AS total
           FROM (SELECT party, asset, delta FROM pairs, LATERAL (VALUES (from_party, -total), (to_party, total)) AS side (party, delta)
                 UNION ALL
                 SELECT party, asset, 0 FROM credit.verification_watch) moves
          GROUP BY party, asset
       )
       SELECT t.party, t.asset, coalesce(b.total, 0)::text AS balance, (t.total + coalesce(v.total, 0))::text AS sum_of_flows
         FROM tail t
        -- Both read by key, as aggregates the planner can't turn into joins: a plain LEFT JOIN of
        -- verified_sums was hashed over all of it (a row per pair of the ledger, 103 k at 10 M flows).
        CROSS JOIN LATERAL (SELECT sum(total) AS total FROM credit.verified_sums v WHERE v.party = t.party AND v.asset = t.asset) v
        CROSS JOIN LATERAL (SELECT sum(amount) AS total FROM credit.balances b WHERE b.party = t.party AND b.asset = t.asset) b
        WHERE coalesce(b.total, 0) <> t.total + coalesce(v.total, 0) OR (t.party LIKE 'person:%' AND b.total < 0)
        ORDER BY t.party, t.asset`,
      [throughFlowId],
    );
    const checked = rows.map(asDrift);
    const drift = checked.filter((d) => d.balance !== d.sumOfFlows);
    const sums = new Map<string, bigint>();
    for (const d of drift) sums.set(d.asset, (sums.get(d.asset) ?? 0n) + d.balance - d.sumOfFlows);
    const unbalancedAssets = [...sums]
      .filter(([, sum]) => sum !== 0n)
      .map(([asset, sum]) => ({ asset, sum }))
      .sort((a, b) => (a.asset < b.asset ? -1 : 1));
    const negative = checked.filter((d) => d.party.startsWith('person:') && d.balance < 0n).map((d) => ({ party: d.party, asset: d.asset, balance: d.balance }));
    return { drift, unbalancedAssets, negative };
  }

  /**
   * For the rest of verify?full's transaction: room for its hash aggregates over every flow and
   * pair, and no JIT — its aggregate over every flow costs enough that Postgres compiles and
   * optimizes it with LLVM, which took more CPU than it saved (1.33 M flows, alternating runs:
   * 2.8–3.2 CPU-s with JIT, 2.2–2.5 without). No parallel workers either: the seals already keep
   * the other connections busy (SealRecomputation), and once the planner knew how few pairs there
   * are (migration FlowPairStatistics) it handed the aggregate to two parallel workers, which cost
   * the cluster ~0.5 CPU-s more a call at 1 M flows (and the bench's per-connection count missed it).
   */
  async prepareFullScan(tx: Tx): Promise<void> {
    await tx.query("SET LOCAL work_mem = '64MB'");
    await tx.query('SET LOCAL jit = off');
    await tx.query('SET LOCAL max_parallel_workers_per_gather = 0');
  }

  /** The last flow id the seals cover ('0' before the first seal). */
  async sealedThrough(tx: Tx): Promise<string> {
    // max() read from the end of seals_to_flow_idx, not by reading every seal.
    const [row]: { id: string | null }[] = await tx.query('SELECT max(to_flow_id)::text AS id FROM credit.seals');
    return row.id ?? '0';
  }

  /** The id of the newest seal ('0' before the first). */
  async lastSealId(tx: Tx): Promise<string> {
    const [row]: { id: string | null }[] = await tx.query('SELECT max(id)::text AS id FROM credit.seals');
    return row.id ?? '0';
  }

  /** The id of the first seal whose range ends after `flowId` (past the last: lastSealId + 1). */
  async firstSealAfter(tx: Tx, flowId: string): Promise<string> {
    // The seals ending after `flowId` found by seals_to_flow_idx: the incremental verify reads the
    // few past its checkpoint, not every seal of the chain.
    const [row]: { id: string }[] = await tx.query(
      `SELECT coalesce((SELECT min(id) FROM credit.seals WHERE to_flow_id > $1), (SELECT max(id) + 1 FROM credit.seals), 1)::text AS id`,
      [flowId],
    );
    return row.id;
  }

  /**
   * The seals with ids in [from, to] that no longer match their flows: the hash recomputed over
   * the stored previous seal's hash differs from the stored one, the flow count differs, or the
   * chain link is gone (the previous seal is missing or ends elsewhere). Each seal by its own
   * encoding (an unknown one as 1, so it fails too); one changed afterwards fails like a changed
   * hash.
   */
  async brokenSeals(tx: Tx, fromSealId: string, toSealId: string): Promise<BrokenSeal[]> {
    // Nothing sealed since the checkpoint: the usual incremental verify between two sealer passes.
    if (BigInt(fromSealId) > BigInt(toSealId)) return [];
    // One query with a branch per encoding present in the range: each seal gets the digest of its
    // own, the other branches gated off by a filter on the seal alone (evaluated once per seal,
    // before any flow is read). A query per known encoding cost a round trip and a plan each
    // (+0.6 ms of Postgres CPU per incremental verify with the third encoding).
    const present: { encoding: number }[] = await tx.query('SELECT DISTINCT encoding FROM credit.seals WHERE id BETWEEN $1 AND $2', [fromSealId, toSealId]);
    const encodings = [...new Set(present.map((r): SealEncoding => (r.encoding === 2 || r.encoding === 3 ? r.encoding : 1)))];
    if (encodings.length === 0) return [];
    const previous = `CASE WHEN s.id = 1 THEN '${GENESIS_HASH}' ELSE p.hash END`;
    const digests = encodings
      .map((e) => `SELECT * FROM (${sealDigest(e, previous, 's.from_flow_id', 's.to_flow_id')}) d WHERE ${e === 1 ? 's.encoding NOT IN (2, 3)' : `s.encoding = ${e}`}`)
      .join(' UNION ALL ');
    const rows: { id: string; from_flow_id: string; to_flow_id: string }[] = await tx.query(
      `SELECT s.id::text AS id, s.from_flow_id::text AS from_flow_id, s.to_flow_id::text AS to_flow_id
         FROM credit.seals s
         -- By key, per seal (LIMIT keeps the subquery from being pulled up into a join): as a join
         -- the planner read every seal of the chain for the one or two an incremental verify checks.
         LEFT JOIN LATERAL (SELECT p.hash, p.to_flow_id FROM credit.seals p WHERE p.id = s.id - 1 LIMIT 1) p ON true
        CROSS JOIN LATERAL (${digests}) r
        WHERE s.id BETWEEN $1 AND $2
          AND (r.hash IS DISTINCT FROM s.hash OR r.n <> s.flows
               OR s.from_flow_id IS DISTINCT FROM CASE WHEN s.id = 1 THEN 0 ELSE p.to_flow_id END)
        ORDER BY s.id`,
      [fromSealId, toSealId],
    );
    return rows.map((r) => ({ sealId: r.id, fromFlowId: r.from_flow_id, toFlowId: r.to_flow_id }));
  }

  /** Names this REPEATABLE READ transaction's snapshot for importSnapshot (valid while it stays open). */
  async exportSnapshot(tx: Tx): Promise<string> {
    const [row]: { id: string }[] = await tx.query('SELECT pg_export_snapshot() AS id');
    return row.id;
  }

  /** Makes this fresh REPEATABLE READ transaction see exactly what the exporting one sees. */
  async importSnapshot(tx: Tx, snapshot: string): Promise<void> {
    if (!/^[0-9A-F-]+$/i.test(snapshot)) throw new Error(`not a snapshot id: ${snapshot}`);
    await tx.query(`SET TRANSACTION SNAPSHOT '${snapshot}'`);
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

  async unbalancedAssets(tx: Tx): Promise<{ asset: string; sum: bigint }[]> {
    const rows: { asset: string; sum: string }[] = await tx.query(
      'SELECT asset, sum(amount)::text AS sum FROM credit.balances GROUP BY asset HAVING sum(amount) <> 0 ORDER BY asset',
    );
    return rows.map((r) => ({ asset: r.asset, sum: BigInt(r.sum) }));
  }

  /** Per asset: system:held's balance beside the sum of active holds, where they differ. */
  async heldMismatch(tx: Tx): Promise<{ asset: string; held: bigint; activeHolds: bigint }[]> {
    const rows: { asset: string; held: string; active: string }[] = await tx.query(`
      WITH held AS (SELECT asset, sum(amount) AS total FROM credit.balances WHERE party = 'system:held' GROUP BY asset),
           active AS (SELECT asset, sum(amount) AS total FROM credit.holds WHERE status = 'active' GROUP BY asset)
      SELECT asset, coalesce(held.total, 0)::text AS held, coalesce(active.total, 0)::text AS active
        FROM held FULL JOIN active USING (asset)
       WHERE coalesce(held.total, 0) <> coalesce(active.total, 0)
       ORDER BY asset`);
    return rows.map((r) => ({ asset: r.asset, held: BigInt(r.held), activeHolds: BigInt(r.active) }));
  }

  /** Every person's pair below zero, from all the balances (verify?full; the incremental verify has checkTouched). */
  async negativePersonBalances(tx: Tx): Promise<NegativeBalance[]> {
    const rows: { party: string; asset: string; balance: string }[] = await tx.query(`
      SELECT party, asset, sum(amount)::text AS balance FROM credit.balances
       WHERE party LIKE 'person:%' GROUP BY party, asset HAVING sum(amount) < 0`);
    return rows.map((r) => ({ party: r.party, asset: r.asset, balance: BigInt(r.balance) }));
  }

  /**
   * Persons below zero in an asset whose deficit the flows that caused it don't explain. The
   * person's flows in that asset are taken as operations (a settlement's release and charges
   * share their hold and time, so a settlement within its hold counts as the net it was), with
   * the running balance after each; every operation since the balance was last ≥ 0 that lowered
   * it must carry its own cause: a settlement's recorded hold_exceeded (`holdExceeded`), a late
   * settlement or a charge without a hold (`overdraft`), or a staff adjustment debiting the person
   * (which, being in the deficit, itself went below zero). An adjustment from before the deficit
   * explains nothing.
   */
  async unexplainedNegativeBalances(tx: Tx, negative: NegativeBalance[]): Promise<{ personId: string; asset: string; balance: bigint }[]> {
    // The usual answer is "no person is below zero": known from the balances alone, it ends here.
    // (Asked inside the query below, the planner can't know the deficits are few and reads every
    // flow: 1–2 s at 10 M flows with none negative.)
    if (negative.length === 0) return [];
    const rows: { party: string; asset: string; balance: string }[] = await tx.query(`
      WITH negative AS (
        SELECT party, asset, balance::numeric AS balance
          FROM unnest($1::text[], $2::text[], $3::text[]) AS n (party, asset, balance)
      ),
      moves AS (
        SELECT n.party, n.asset, f.id, f.created_at, f.metadata ->> 'holdId' AS hold_id,
               CASE WHEN f.to_party = n.party THEN f.amount ELSE -f.amount END AS delta,
               (f.metadata ? 'holdExceeded' OR f.metadata ? 'overdraft' OR (f.kind = 'adjustment' AND f.from_party = n.party)) AS explains
          FROM negative n
          JOIN credit.flows f ON f.person_id = substr(n.party, 8)::uuid AND f.asset = n.asset
                             AND n.party IN (f.from_party, f.to_party)
      ),
      operations AS (
        SELECT party, asset, min(id) AS first_id, sum(delta) AS delta, bool_or(explains) AS explained
          FROM moves GROUP BY party, asset, coalesce(hold_id, id::text), created_at
      ),
      running AS (
        SELECT *, sum(delta) OVER (PARTITION BY party, asset ORDER BY first_id) AS after FROM operations
      ),
      deficit_start AS (
        SELECT party, asset, coalesce(max(first_id) FILTER (WHERE after >= 0), 0) AS after_id FROM running GROUP BY party, asset
      )
      SELECT n.party, n.asset, n.balance::text AS balance
        FROM negative n
       WHERE EXISTS (
         SELECT 1 FROM running r JOIN deficit_start d USING (party, asset)
          WHERE r.party = n.party AND r.asset = n.asset AND r.first_id > d.after_id AND r.delta < 0 AND NOT r.explained)
       ORDER BY 1, 2`,
      [negative.map((n) => n.party), negative.map((n) => n.asset), negative.map((n) => n.balance.toString())],
    );
    return rows.map((r) => ({ personId: r.party.slice('person:'.length), asset: r.asset, balance: BigInt(r.balance) }));
  }
}
