import { Injectable } from '@nestjs/common';
import type { Tx } from '@loomworks/database';
import type { Seal } from '../domain/seals';

/**
 * How a seal hashes its flows (README "Auditing the ledger" writes them out — keep the bytes identical;
 * FLOW_BYTES groups its `||` differently from the README, which seals.spec checks against real seals).
 * Each seal records its encoding, so the seals written in an older one still verify as written.
 *
 * 1: a flow is the text of a JSON array of its columns, one line each. Building that text costs
 *    ~5–10 µs a flow, which kept verify?full at ~0.1 M flows/s.
 * 2: a flow is PostgreSQL's binary record (record_send) of its columns, the bytes of every flow
 *    concatenated: no value is formatted as text (only metadata, jsonb, is sent as its text),
 *    3–4× cheaper. The casts pin each column's type, whose OID is part of the record.
 * 3: a flow is its columns' binary values (the types' send functions, as in 2) one after the
 *    other, each text followed by a zero byte (text never holds one) and each nullable column
 *    behind a byte saying whether it is null: the same values without record_send's row
 *    (building the row and taking it apart again) and its 92 bytes of column OIDs and lengths
 *    a flow. Recomputing a seal costs 8–16% less CPU (alternating runs, 1 M flows), hashing 36%
 *    fewer bytes (145 instead of 228 a flow of the bench).
 */
export type SealEncoding = 1 | 2 | 3;
export const SEAL_ENCODING: SealEncoding = 3;

const FLOW_LINE =
  'json_build_array(f.id, f.kind, f.asset, f.amount, f.from_party, f.to_party, f.person_id, f.grant_id, ' +
  'f.idempotency_key, f.metadata, (extract(epoch FROM f.created_at) * 1000000)::bigint)::text';

const FLOW_RECORD =
  'record_send(ROW(f.id::bigint, f.kind::text, f.asset::text, f.amount::bigint, f.from_party::text, f.to_party::text, ' +
  'f.person_id::uuid, f.grant_id::uuid, f.idempotency_key::text, f.metadata::jsonb, f.created_at::timestamptz))';

/**
 * Encoding 3's bytes of a flow. Unambiguous: every value is fixed-width (bigint 8 bytes, uuid 16,
 * timestamptz 8) or text ending in the zero byte no text contains (jsonb_send: the byte 1, then
 * its text), and a nullable column starts with 0 (null, nothing follows) or 1. A NOT NULL column
 * set to null (by a table owner with the constraint dropped) nulls the flow's bytes: the flow
 * drops out of the aggregate and the seal breaks.
 *
 * The same bytes as README's left-to-right chain, joined as a balanced tree: each `||` copies
 * both sides into a fresh value, so the chain `a || b || c || …` copied each flow's first bytes
 * up to 15 times (~1.4 kB of copies for 145 bytes); paired, every byte is copied about 4 times.
 * Recomputing seals (500 k flows, one backend, alternating runs) took ~12% less CPU.
 */
const FLOW_BYTES =
  "((int8send(f.id) || textsend(f.kind)) || ('\\x00'::bytea || textsend(f.asset))) || " +
  "(('\\x00'::bytea || int8send(f.amount)) || (textsend(f.from_party) || '\\x00'::bytea)) || " +
  "(((textsend(f.to_party) || '\\x00'::bytea) || " +
  "(coalesce('\\x01'::bytea || uuid_send(f.person_id), '\\x00'::bytea) || coalesce('\\x01'::bytea || uuid_send(f.grant_id), '\\x00'::bytea))) || " +
  "((coalesce('\\x01'::bytea || textsend(f.idempotency_key) || '\\x00'::bytea, '\\x00'::bytea) || jsonb_send(f.metadata)) || " +
  "('\\x00'::bytea || timestamptz_send(f.created_at))))";

/**
 * A subquery answering (n, hash) for the flows with ids in (from, to]: how many there are and the
 * seal's SHA-256 (hex) over `previous` + "\n" and the flows' encoding in id order.
 * Encodings 2 and 3 take the flows from a subquery ordered by id (not ORDER BY inside string_agg): a
 * subquery with ORDER BY is never flattened, so its primary-key-ordered rows reach the aggregate in
 * that order, whereas an ORDER BY in the aggregate sorts every seal's records again before
 * PostgreSQL 16 (half the cost of recomputing a seal). The `previous` line goes in front of the
 * first flow's record, inside the aggregate, rather than `line || string_agg(…)`: that copied the
 * seal's whole aggregate (~2 MB at 10,000 flows) into fresh memory once more before hashing, which
 * cost as much CPU as encoding the flows (PostgreSQL 18, measured per backend). Same bytes.
 */
export function sealDigest(encoding: SealEncoding, previous: string, from: string, to: string): string {
  if (encoding === 1) {
    return `SELECT count(*) AS n,
                   encode(sha256(convert_to(${previous} || E'\\n' || coalesce(string_agg(${FLOW_LINE} || E'\\n', '' ORDER BY f.id), ''), 'UTF8')), 'hex') AS hash
              FROM credit.flows f WHERE f.id > ${from} AND f.id <= ${to}`;
  }
  const line = `convert_to(${previous} || E'\\n', 'UTF8')`;
  const flow = encoding === 2 ? FLOW_RECORD : FLOW_BYTES;
  return `SELECT count(*) AS n,
                 encode(sha256(coalesce(string_agg(CASE WHEN f.id = (SELECT min(g.id) FROM credit.flows g WHERE g.id > ${from} AND g.id <= ${to})
                                                        THEN ${line} || ${flow} ELSE ${flow} END, ''::bytea), ${line})), 'hex') AS hash
            FROM (SELECT * FROM credit.flows f WHERE f.id > ${from} AND f.id <= ${to} ORDER BY f.id) f`;
}

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
  encoding: SealEncoding;
}

const SEAL_COLUMNS = 'id::text AS id, from_flow_id::text AS from_flow_id, to_flow_id::text AS to_flow_id, flows, hash, sealed_at, encoding';

const toSeal = (r: SealRow): Seal => ({
  id: r.id,
  fromFlowId: r.from_flow_id,
  toFlowId: r.to_flow_id,
  flows: r.flows,
  hash: r.hash,
  sealedAt: r.sealed_at,
  encoding: r.encoding,
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
      `INSERT INTO credit.seals (id, from_flow_id, to_flow_id, flows, hash, sealed_at, encoding)
       SELECT $1, $2, $3, d.n, d.hash, $5, $6 FROM (${sealDigest(SEAL_ENCODING, '$4::text', '$2::bigint', '$3::bigint')}) d
       RETURNING ${SEAL_COLUMNS}`,
      [seal.id, seal.fromFlowId, seal.toFlowId, seal.previousHash, seal.at, SEAL_ENCODING],
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
