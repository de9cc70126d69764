import { PassThrough, pipeline, type Readable } from 'node:stream';
import { applyDecorators, StreamableFile } from '@nestjs/common';
import { ApiOkResponse } from '@nestjs/swagger';

/** OpenAPI of a route answering a CSV download: its 200 is text/csv (its errors stay JSON, so no route-wide `produces`). */
export const ApiCsvResponse = (description: string) => applyDecorators(ApiOkResponse({ description, content: { 'text/csv': { schema: { type: 'string' } } } }));

/**
 * A streamed CSV download as the route's answer: text/csv, saved as `filename`, `header` then
 * `records` — CSV bytes, one record a line (\n, as Postgres's COPY writes them), already quoted
 * and neutralised by whoever wrote them. The source comes started (a refusal at its start — an
 * export already running, a bad range — was thrown before, so it is answered as an error
 * status, not as a download that breaks). Piped, so the source is read only as fast as the client
 * takes the bytes (backpressure: constant memory whatever the number of rows); however the
 * download ends — read to the end, the client gone, or never sent — the source is ended
 * with it (destroyed unless it ended: its connection released).
 */
export function csvFile(filename: string, header: readonly string[], records: Readable): StreamableFile {
  const body = new PassThrough({ highWaterMark: 64 * 1024 });
  body.write(`${header.join(',')}\n`);
  // Errors end both streams (the download breaks: its status was sent); nothing else to do with them.
  pipeline(records, body, () => undefined);
  return new StreamableFile(body, { type: 'text/csv; charset=utf-8', disposition: `attachment; filename="${filename}"` });
}
