import { Injectable } from '@nestjs/common';
import type { Tx } from '@loomworks/database';
import type { Seal } from '../domain/seals';

/**
 * A flow's canonical line: a JSON array of its columns in table order, created_at as integer
 * microseconds since the epoch (so no time zone or date style enters the text). psql prints
 * exactly this text, which is what lets an auditor recompute a seal with psql and sha256sum
 * (README "Auditing the ledger" — keep the two identical).
 */
export const FLOW_LINE =
  'json_build_array(f.id, f.kind, f.asset, f.amount, f.from_party, f.to_party, f.person_id, f.grant_id, ' +
  'f.idempotency_key, f.metadata, (extract(epoch FROM f.created_at) * 1000000)::bigint)::text';

/** SHA-256 (hex) over `previous` + "\n" + every line of the flows f in id order, each ending in "\n". */
export const chainHash = (previous: string) =>
  `encode(sha256(convert_to(${previous} || E'\\n' || coalesce(string_agg(${FLOW_LINE} || E'\\n', '' ORDER BY f.id), ''), 'UTF8')), 'hex')`;

/** The transactions that hold the insert lock on credit.flows (in this database), by virtual transaction id. */
const FLOW_WRITERS = `
  SELECT DISTINCT virtualtransaction AS vxid FROM pg_locks
   WHERE locktype = 'relation' AND mode = 'RowExclusiveLock' AND relation = 'credit.flows'::regclass
     AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`;

interface SealRow {
  id: string;
  from_flow_id: string;
  to_flow_id: string;
  flows: number;
  hash: string;
  sealed_at: Date;
}

const SEAL_COLUMNS = 'id::text AS id, from_flow_id::text AS from_flow_id, to_flow_id::text AS to_flow_id, flows, hash, sealed_at';

const toSeal = (r: SealRow): Seal => ({
  id: r.id,
  fromFlowId: r.from_flow_id,
  toFlowId: r.to_flow_id,
  flows: r.flows,
  hash: r.hash,
  sealedAt: r.sealed_at,
});

/** Advisory lock key: one sealer at a time across every instance on the database. */
const SEALER_LOCK = 7_243_201;

/** The seal chain's SQL: where it ends, appending a seal, recomputing seals from the flows. */
@Injectable()
export class SealsRepository {
  /** Takes the sealer's lock for the rest of the transaction; false when another sealer holds it. */
  async tryLock(tx: Tx): Promise<boolean> {
    const [row]: { locked: boolean }[] = await tx.query('SELECT pg_try_advisory_xact_lock($1) AS locked', [SEALER_LOCK]);
    return row.locked;
  }

  /**
   * The highest flow id drawn so far. Read BEFORE flowWriters(): a transaction takes the insert
   * lock on credit.flows before it draws an id, so whoever drew an id up to this value either
   * ended already or is among the writers listed afterwards.
   */
  async lastDrawnFlowId(tx: Tx): Promise<string> {
    const [row]: { id: string }[] = await tx.query(
      "SELECT coalesce(pg_sequence_last_value(pg_get_serial_sequence('credit.flows', 'id')::regclass), 0)::text AS id",
    );
    return row.id;
  }

  /** The transactions inserting into credit.flows right now; of `among` only, when given. */
  async flowWriters(tx: Tx, among?: string[]): Promise<string[]> {
    const rows: { vxid: string }[] = among
      ? await tx.query(`SELECT vxid FROM (${FLOW_WRITERS}) w WHERE vxid = ANY ($1)`, [among])
      : await tx.query(FLOW_WRITERS);
    return rows.map((r) => r.vxid);
  }

  async last(tx: Tx): Promise<Seal | null> {
    // `seals.id`, qualified: a bare `id` in ORDER BY names the SELECT's `id::text AS id` and sorts as
    // text, so from the tenth seal on the newest looked like seal 9 and every pass failed on seal 10.
    const rows: SealRow[] = await tx.query(`SELECT ${SEAL_COLUMNS} FROM credit.seals ORDER BY seals.id DESC LIMIT 1`);
    return rows[0] ? toSeal(rows[0]) : null;
  }

  /** The id of the `n`th flow after `after` up to `through`, or null when there are fewer. */
  async nthFlowId(tx: Tx, after: string, through: string, n: number): Promise<string | null> {
    const rows: { id: string }[] = await tx.query(
      // `flows.id`, qualified (see last()): by the text alias the nth id was counted in text order.
      'SELECT id::text AS id FROM credit.flows WHERE id > $1 AND id <= $2 ORDER BY flows.id OFFSET $3 LIMIT 1',
      [after, through, n - 1],
    );
    return rows[0]?.id ?? null;
  }

  /** Appends the seal over the flows in (from, to], chained to `previousHash`. */
  async append(tx: Tx, seal: { id: string; fromFlowId: string; toFlowId: string; previousHash: string; at: Date }): Promise<Seal> {
    const [row]: SealRow[] = await tx.query(
      `INSERT INTO credit.seals (id, from_flow_id, to_flow_id, flows, hash, sealed_at)
       SELECT $1, $2, $3, count(*), ${chainHash('$4::text')}, $5
         FROM credit.flows f WHERE f.id > $2 AND f.id <= $3
       RETURNING ${SEAL_COLUMNS}`,
      [seal.id, seal.fromFlowId, seal.toFlowId, seal.previousHash, seal.at],
    );
    return toSeal(row);
  }

  /** Where the reconciler's seal checks got to (see migration CreateSeals); locked for the run. */
  async checkState(tx: Tx): Promise<{ throughSealId: string; rotationSealId: string }> {
    const [row]: { through: string; rotation: string }[] = await tx.query(
      'SELECT through_seal_id::text AS through, rotation_seal_id::text AS rotation FROM credit.seal_checks FOR UPDATE',
    );
    return { throughSealId: row.through, rotationSealId: row.rotation };
  }

  async setCheckState(tx: Tx, throughSealId: string, rotationSealId: string): Promise<void> {
    await tx.query('UPDATE credit.seal_checks SET through_seal_id = $1, rotation_seal_id = $2', [throughSealId, rotationSealId]);
  }
}
