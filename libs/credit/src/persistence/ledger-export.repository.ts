import { Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import { keepsNamedStatements, type Tx } from '@loomworks/database';
import { ExportInProgressError } from '../domain/errors';

/** A time range of flows' created_at: `from` inclusive, `to` exclusive, both optional. */
export interface FlowRange {
  from?: Date;
  to?: Date;
}

/**
 * Flows per round trip: their lines come as one string of ~90 KB, under V8's large-object size
 * (~128 KB), so each batch dies young instead of piling up in the old generation.
 */
const BATCH = 500;
/** Advisory lock class of "an export by this person is running" (the two-key form: its own key space). */
const EXPORT_LOCK = 7_243_300;

const ISO = `to_char(f.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
/**
 * The columns every export starts with, as CSV text. Only the free text (idempotency keys) goes
 * through credit.csv_cell: the rest can't hold a comma, a quote, a line break or a formula's first
 * character (numbers, uuids, the instant, and kind, asset and parties by their CHECK constraints).
 */
const LINE_START = `f.id || ',' || ${ISO} || ',' || f.kind || ',' || f.asset || ',' || f.amount`;
const RANGE = '($1::timestamptz IS NULL OR f.created_at >= $1) AND ($2::timestamptz IS NULL OR f.created_at < $2)';

/**
 * The ledger's exports (DESIGN.md "Tamper evidence"), read in one read-only REPEATABLE READ
 * transaction on a connection of their own — one consistent snapshot, in id order — a batch at a
 * time (keyset: the flows after the last id sent), so memory holds one batch whatever the ledger's
 * size, and the next batch is read only when the reader took the last (backpressure). Each batch
 * comes as one string, its flows' CSV lines built and joined in the query: read as rows and written
 * cell by cell in the API, a million rows' values were the bulk of its CPU and their garbage grew
 * its heap by 200 MB. The connection goes back to the pool when the iteration ends — read to the
 * end, failed, or abandoned (the client went away and the stream was destroyed).
 * One export per person at a time: each takes a transaction-scoped advisory lock on its exporter
 * (released with its transaction however it ends, on every instance and through a
 * transaction-mode pooler; per server when exports read a replica) or is refused at its start.
 */
@Injectable()
export class LedgerExportRepository {
  /** Every flow in the range: API.md's ledger export columns, seal_id the seal covering the flow (empty while unsealed). */
  ledgerRows(db: Tx, range: FlowRange, exporterId: string): AsyncGenerator<string> {
    // The covering seal is the first ending at or after the flow (the seals' ranges are contiguous): one index probe.
    const lines = `SELECT f.id, ${LINE_START} || ',' || f.from_party || ',' || f.to_party || ',' || coalesce(f.person_id::text, '')
                          || ',' || coalesce(f.grant_id::text, '') || ',' || credit.csv_cell(f.idempotency_key) || ','
                          || coalesce((SELECT s.id::text FROM credit.seals s WHERE s.to_flow_id >= f.id ORDER BY s.to_flow_id LIMIT 1), '') AS line
                     FROM credit.flows f WHERE ${RANGE} AND f.id > $3 ORDER BY f.id LIMIT ${BATCH}`;
    return this.batches(db, 'ledger_export_batch', exporterId, lines, [range.from ?? null, range.to ?? null]);
  }

  /** A person's own flows (those /me/flows lists: their own credit's, not a pool's they spent), as the person sees them: direction, counterparty, reference. */
  personRows(db: Tx, personId: string, range: FlowRange): AsyncGenerator<string> {
    const lines = `SELECT f.id, ${LINE_START} || ',' || CASE WHEN f.to_party = $4 THEN 'in,' || f.from_party ELSE 'out,' || f.to_party END
                          || ',' || credit.csv_cell(f.idempotency_key) AS line
                     FROM credit.flows f WHERE f.person_id = $5 AND (f.from_party = $4 OR f.to_party = $4) AND ${RANGE} AND f.id > $3 ORDER BY f.id LIMIT ${BATCH}`;
    return this.batches(db, 'person_export_batch', personId, lines, [range.from ?? null, range.to ?? null, `person:${personId}`, personId]);
  }

  /**
   * `lines` ($3: the last id sent) a batch at a time, each batch its lines joined by \r\n. The
   * batch query is a named prepared statement (`name`), planned once per connection instead of for
   * each of a million-row export's 2,000 batches — except behind a transaction-mode pooler.
   */
  private async *batches(db: Tx, name: string, exporterId: string, lines: string, values: unknown[]): AsyncGenerator<string> {
    const named = keepsNamedStatements(db.connection);
    const runner = db.connection.createQueryRunner('slave');
    const client = (await runner.connect()) as PoolClient;
    let open = false;
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      open = true;
      const { rows: lock } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock($1, hashtext($2)) AS locked', [EXPORT_LOCK, exporterId]);
      if (!lock[0].locked) throw new ExportInProgressError();
      // `flows_export`, named in the text, is how an operator (and the backpressure test) sees an export waiting between batches.
      const text = `SELECT /* flows_export */ max(b.id)::text AS last, count(*)::int AS n, string_agg(b.line, E'\\r\\n' ORDER BY b.id) AS text FROM (${lines}) b`;
      for (let after = '0'; ; ) {
        const { rows } = await client.query<{ last: string | null; n: number; text: string | null }>({
          ...(named && { name }),
          text,
          values: [values[0], values[1], after, ...values.slice(2)],
        });
        const [batch] = rows;
        if (batch.n > 0) yield batch.text!;
        if (batch.n < BATCH) break;
        after = batch.last!;
      }
      await client.query('COMMIT');
      open = false;
    } finally {
      // Abandoned or failed: end the transaction before the connection is reused.
      if (open) await client.query('ROLLBACK').catch(() => undefined);
      await runner.release();
    }
  }
}
