import { once } from 'node:events';
import type { Readable } from 'node:stream';
import { Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import type { Tx } from '@loomworks/database';
import { ExportInProgressError } from '../domain/errors';

/** A time range of flows' created_at: `from` inclusive, `to` exclusive, both optional. */
export interface FlowRange {
  from?: Date;
  to?: Date;
}

/** Advisory lock class of "an export by this person is running" (the two-key form: its own key space). */
const EXPORT_LOCK = 7_243_300;

/** A text value as an SQL literal: COPY goes by the simple query protocol, which has no parameters. */
type Literal = (value: string) => string;

const ISO = `to_char(f.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
/** The columns every export starts with. */
const ROW_START = `f.id, ${ISO}, f.kind, f.asset, f.amount`;
const inRange = (range: FlowRange, literal: Literal) =>
  [range.from && `f.created_at >= ${literal(range.from.toISOString())}::timestamptz`, range.to && `f.created_at < ${literal(range.to.toISOString())}::timestamptz`]
    .filter(Boolean)
    .map((condition) => ` AND ${condition}`)
    .join('');

/**
 * The ledger's exports (DESIGN.md "Tamper evidence") as CSV records, one a line, written by
 * Postgres itself: one `COPY (SELECT …) TO STDOUT WITH (FORMAT csv)` streamed to the API
 * (pg-copy-streams) — COPY's CSV writer quotes a cell holding a comma, a quote or a line break and
 * leaves null empty; only the free text (idempotency keys) is neutralised first, by
 * credit.csv_cell. Read a batch at a time as rows, the export spent its time in a million rows'
 * round trips and values; streamed, the API only passes bytes on.
 *
 * The COPY runs in one read-only REPEATABLE READ transaction on a connection of its own — one
 * consistent snapshot, in id order — and the connection's socket is read only as fast as the
 * stream's reader takes the bytes, so a slow reader stops Postgres writing (it waits in
 * ClientWrite) instead of the API buffering the export. Read to the end, the transaction commits
 * and the connection goes back to the pool; abandoned (the client went away, the stream was
 * destroyed) or failed, the connection is discarded: closing it ends the session, its COPY and
 * its transaction at once, where cancelling would need a second connection (and, behind a
 * transaction-mode pooler, the pooler's help) and reading the rest of the rows to nowhere.
 * One export per person at a time: each takes a transaction-scoped advisory lock on its exporter
 * (released with its transaction however it ends, on every instance and through a
 * transaction-mode pooler; per server when exports read a replica) or is refused at its start.
 */
@Injectable()
export class LedgerExportRepository {
  /**
   * Every flow in the range: API.md's ledger export columns, seal_id the seal covering the flow
   * (empty while unsealed). The seals' ranges are contiguous, so the covering seal is the first
   * ending at or after the flow: found by a binary search (width_bucket) of the seals' ends, read
   * once into an array, rather than an index probe per flow.
   */
  ledgerCsv(db: Tx, range: FlowRange, exporterId: string): Promise<Readable> {
    return this.copy(
      db,
      exporterId,
      (literal) => `SELECT /* flows_export */ ${ROW_START}, f.from_party, f.to_party, f.person_id, f.grant_id, credit.csv_cell(f.idempotency_key),
                           s.ids[width_bucket(f.id - 1, s.ends) + 1]
                      FROM credit.flows f,
                           (SELECT array_agg(to_flow_id ORDER BY to_flow_id) AS ends, array_agg(id ORDER BY to_flow_id) AS ids FROM credit.seals) s
                     WHERE true${inRange(range, literal)} ORDER BY f.id`,
    );
  }

  /** A person's own flows (those /me/flows lists: their own credit's, not a pool's they spent), as the person sees them: direction, counterparty, reference. */
  personCsv(db: Tx, personId: string, range: FlowRange): Promise<Readable> {
    return this.copy(db, personId, (literal) => {
      const party = literal(`person:${personId}`);
      return `SELECT /* flows_export */ ${ROW_START}, CASE WHEN f.to_party = ${party} THEN 'in' ELSE 'out' END,
                     CASE WHEN f.to_party = ${party} THEN f.from_party ELSE f.to_party END, credit.csv_cell(f.idempotency_key)
                FROM credit.flows f
               WHERE f.person_id = ${literal(personId)}::uuid AND (f.from_party = ${party} OR f.to_party = ${party})${inRange(range, literal)}
               ORDER BY f.id`;
    });
  }

  /**
   * The rows of `select` as CSV, once started: refused (ExportInProgressError) or failed before
   * its first bytes, it throws, so the route answers an error status rather than a download that
   * breaks. `flows_export`, in the SELECT's text, is how an operator (and the tests) find a
   * running export in pg_stat_activity.
   */
  private async copy(db: Tx, exporterId: string, select: (literal: Literal) => string): Promise<Readable> {
    const [client, release] = (await (db.connection.driver as PostgresDriver).obtainSlaveConnection()) as [PoolClient, (discard?: Error) => void];
    // While it is held the pool doesn't listen for the client's errors (the server gone): they reach
    // the query running, the COPY, whose 'error' ends the export; unheard here, they'd end the process.
    const quiet = () => undefined;
    client.on('error', quiet);
    let released = false;
    const giveBack = (discard?: Error) => {
      if (released) return;
      released = true;
      client.off('error', quiet);
      release(discard); // with an error the pool closes the connection (its socket, if the COPY still runs)
    };
    let rows: Readable;
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const { rows: lock } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock($1, hashtext($2)) AS locked', [EXPORT_LOCK, exporterId]);
      if (!lock[0].locked) throw new ExportInProgressError();
      rows = client.query(copyTo(`COPY (${select((value) => client.escapeLiteral(value))}) TO STDOUT WITH (FORMAT csv)`, { highWaterMark: 64 * 1024 }));
      await once(rows, 'readable'); // the first bytes, or the end: the COPY runs (an error rejects)
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      giveBack();
      throw error;
    }
    let ended = false;
    rows.once('end', () => {
      ended = true;
      client.query('COMMIT').then(
        () => giveBack(),
        (error: Error) => giveBack(error),
      );
    });
    // Failed, or destroyed before its end: the connection is closed, not reused. (Closing it fails
    // the COPY that was running with "Connection terminated": heard here, and nowhere else needed.)
    rows.on('error', (error: Error) => giveBack(error));
    rows.once('close', () => ended || giveBack(new Error('export abandoned before its end')));
    return rows;
  }
}
