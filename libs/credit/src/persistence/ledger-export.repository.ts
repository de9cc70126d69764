import { Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import type { Tx } from '@loomworks/database';
import type { CsvCell } from '@loomworks/common';

/** A time range of flows' created_at: `from` inclusive, `to` exclusive, both optional. */
export interface FlowRange {
  from?: Date;
  to?: Date;
}

/** Rows fetched per round trip from the server-side cursor. */
const BATCH = 5000;
/** Seal ranges read per round trip while matching flows to the seal covering them. */
const SEAL_BATCH = 1000;

const ISO = `to_char(f.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
const RANGE = '($1::timestamptz IS NULL OR f.created_at >= $1) AND ($2::timestamptz IS NULL OR f.created_at < $2)';

/**
 * The ledger's exports (DESIGN.md "Tamper evidence"): flows read through a server-side cursor
 * (DECLARE … FETCH) in one read-only REPEATABLE READ transaction on a connection of its own, so an
 * export is one consistent snapshot, in id order, and memory holds one batch at a time whatever
 * the ledger's size. Rows come as arrays of text (rowMode array, every value cast in SQL), ready
 * for the CSV writer. The connection goes back to the pool when the iteration ends — read to the
 * end, failed, or abandoned (the client went away and the stream was destroyed).
 */
@Injectable()
export class LedgerExportRepository {
  /** Every flow in the range: API.md's ledger export columns, seal_id the seal covering the flow (empty while unsealed). */
  async *ledgerRows(db: Tx, range: FlowRange): AsyncGenerator<CsvCell[][]> {
    const text = `SELECT f.id::text, ${ISO}, f.kind, f.asset, f.amount::text, f.from_party, f.to_party, f.person_id::text, f.grant_id::text, f.idempotency_key
                    FROM credit.flows f WHERE ${RANGE} ORDER BY f.id`;
    yield* this.withCursor(db, text, [range.from ?? null, range.to ?? null], async function* (client, batches) {
      const seals = sealCursor(client);
      for await (const rows of batches) {
        for (const row of rows) {
          const seal = seals.covering(BigInt(row[0] as string));
          row.push(typeof seal === 'string' || seal === null ? seal : await seal);
        }
        yield rows;
      }
    });
  }

  /** A person's own flows (those /me/flows lists), as the person sees them: direction, counterparty, reference. */
  async *personRows(db: Tx, personId: string, range: FlowRange): AsyncGenerator<CsvCell[][]> {
    const text = `SELECT f.id::text, ${ISO}, f.kind, f.asset, f.amount::text,
                         CASE WHEN f.to_party = $3 THEN 'in' ELSE 'out' END,
                         CASE WHEN f.to_party = $3 THEN f.from_party ELSE f.to_party END,
                         f.idempotency_key
                    FROM credit.flows f WHERE f.person_id = $4 AND ${RANGE} ORDER BY f.id`;
    yield* this.withCursor(db, text, [range.from ?? null, range.to ?? null, `person:${personId}`, personId], async function* (_client, batches) {
      yield* batches;
    });
  }

  private async *withCursor(
    db: Tx,
    text: string,
    values: unknown[],
    rows: (client: PoolClient, batches: AsyncGenerator<CsvCell[][]>) => AsyncGenerator<CsvCell[][]>,
  ): AsyncGenerator<CsvCell[][]> {
    const runner = db.connection.createQueryRunner('slave');
    const client = (await runner.connect()) as PoolClient;
    let open = false;
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      open = true;
      await client.query({ text: `DECLARE flows_export NO SCROLL CURSOR FOR ${text}`, values });
      async function* batches(): AsyncGenerator<CsvCell[][]> {
        for (;;) {
          const { rows } = await client.query<CsvCell[]>({ text: `FETCH ${BATCH} FROM flows_export`, rowMode: 'array' });
          if (rows.length > 0) yield rows;
          if (rows.length < BATCH) return;
        }
      }
      yield* rows(client, batches());
      await client.query('COMMIT');
      open = false;
    } finally {
      // Abandoned or failed: end the transaction (closing the cursor) before the connection is reused.
      if (open) await client.query('ROLLBACK').catch(() => undefined);
      await runner.release();
    }
  }
}

/** The seal covering each flow id, for ids asked in ascending order: seals are read a batch at a time, in flow order. */
function sealCursor(client: PoolClient) {
  let seals: { id: string; to: bigint }[] = [];
  let next = 0;
  let exhausted = false;
  const fetchFrom = async (flowId: bigint): Promise<string | null> => {
    const { rows } = await client.query<{ id: string; to: string }>(
      'SELECT id::text AS id, to_flow_id::text AS to FROM credit.seals WHERE to_flow_id >= $1 ORDER BY to_flow_id LIMIT $2',
      [flowId.toString(), SEAL_BATCH],
    );
    seals = rows.map((r) => ({ id: r.id, to: BigInt(r.to) }));
    next = 0;
    exhausted = rows.length < SEAL_BATCH;
    return rows.length > 0 ? seals[0].id : null;
  };
  return {
    /** Synchronous while the seals in memory answer (nearly every row), a promise when the next batch must be read. */
    covering(flowId: bigint): string | null | Promise<string | null> {
      while (next < seals.length && seals[next].to < flowId) next++;
      if (next < seals.length) return seals[next].id;
      return exhausted ? null : fetchFrom(flowId);
    },
  };
}
