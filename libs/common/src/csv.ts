import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify/sync';

/** A CSV cell: text, or empty for null. */
export type CsvCell = string | null;

/**
 * RFC 4180 CSV of `batches` of rows under `header`, by csv-stringify: a cell with a comma, a quote or a line
 * break is quoted (quotes doubled), and a text cell a spreadsheet would run as a formula — one
 * starting with `=`, `+`, `-`, `@`, a tab or a carriage return (OWASP "CSV Injection"), or their
 * full-width forms — gets a leading `'` (csv-stringify quotes a cell holding its record delimiter
 * \r\n but not a lone \n or \r: quoted_match does). Batches are pulled only as fast as the
 * reader takes the text (backpressure), so memory stays constant whatever the number of rows; an
 * error of the source ends the stream with it.
 */
export function csvStream(header: readonly string[], batches: AsyncIterable<readonly (readonly CsvCell[])[]>): Readable {
  // One string per batch (csv-stringify's sync API over the batch), not a stream of records: no per-row stream overhead.
  const options = { escape_formulas: true, record_delimiter: '\r\n', quoted_match: /[\r\n]/ };
  async function* text(): AsyncGenerator<string> {
    yield stringify([[...header]], options);
    for await (const batch of batches) if (batch.length > 0) yield stringify(batch as CsvCell[][], options);
  }
  return Readable.from(text(), { objectMode: false, highWaterMark: 64 * 1024 });
}
