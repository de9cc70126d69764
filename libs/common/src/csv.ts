import { Readable } from 'node:stream';

/**
 * A CSV download of `batches` under `header`: each batch one or more records already written —
 * cells quoted (RFC 4180) and formula-like text neutralised by whoever built them (the exports do
 * it in their query: credit.csv_cell) — separated by \r\n; each record ends in \r\n here.
 * Batches are pulled only as fast as the reader takes the bytes (backpressure), so memory stays
 * constant whatever the number of rows. An error of the source ends the stream with it.
 * The stream carries strings (encoding utf8): the socket encodes each into memory it frees once
 * written, where a Buffer per batch lives until the garbage collector finds it — which the export
 * barely wakes, so a million rows' Buffers (~170 MB) piled up first.
 */
export function csvStream(header: readonly string[], batches: AsyncIterable<string>): Readable {
  async function* text(): AsyncGenerator<string> {
    yield `${header.join(',')}\r\n`;
    for await (const records of batches) yield `${records}\r\n`;
  }
  return Readable.from(text(), { objectMode: false, encoding: 'utf8', highWaterMark: 64 * 1024 });
}
