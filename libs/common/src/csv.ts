import { pipeline, Readable } from 'node:stream';
import { stringify } from 'csv-stringify';

/** A CSV cell: text, or empty for null. */
export type CsvCell = string | null;

/**
 * RFC 4180 CSV of `rows` under `header`, by csv-stringify: a cell with a comma, a quote or a line
 * break is quoted (quotes doubled), and a text cell a spreadsheet would run as a formula — one
 * starting with `=`, `+`, `-`, `@`, a tab or a carriage return (OWASP "CSV Injection"), or their
 * full-width forms — gets a leading `'`. Rows are pulled from the iterable only as fast as the
 * reader takes the text (backpressure), so memory stays constant whatever the number of rows; an
 * error of the source ends the stream with it.
 */
export function csvStream(header: readonly string[], rows: AsyncIterable<readonly CsvCell[]>): Readable {
  const source = Readable.from(rows, { objectMode: true, highWaterMark: 64 });
  // quoted_match: csv-stringify quotes a cell holding its record delimiter (\r\n) but not a lone \n or \r.
  const csv = stringify({ header: true, columns: [...header], escape_formulas: true, record_delimiter: '\r\n', quoted_match: /[\r\n]/ });
  return pipeline(source, csv, () => undefined);
}
