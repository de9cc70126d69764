import { applyDecorators, StreamableFile } from '@nestjs/common';
import { ApiOkResponse } from '@nestjs/swagger';
import { csvStream } from './csv';

/** OpenAPI of a route answering a CSV download: its 200 is text/csv (its errors stay JSON, so no route-wide `produces`). */
export const ApiCsvResponse = (description: string) => applyDecorators(ApiOkResponse({ description, content: { 'text/csv': { schema: { type: 'string' } } } }));

/** Records of CSV (csvStream). */
type Batch = string;

/**
 * A streamed CSV download (csvStream) as the route's answer: text/csv, saved as `filename`.
 * The source is started (its first batch read) before the answer is: a refusal at its start (an
 * export already running, a bad range) is answered as an error status, not as a download that
 * breaks. From then on, however the stream ends — read to the end, the client gone, or never
 * sent — the source is ended (its `finally`: a cursor's transaction and connection).
 */
export async function csvFile(filename: string, header: readonly string[], batches: AsyncIterable<Batch>): Promise<StreamableFile> {
  const source = batches[Symbol.asyncIterator]();
  let first: IteratorResult<Batch> | null = await source.next();
  const started: AsyncIterableIterator<Batch> = {
    next: () => {
      const result = first;
      first = null;
      return result ? Promise.resolve(result) : source.next();
    },
    return: async () => (await source.return?.()) ?? { done: true, value: undefined },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
  const stream = csvStream(header, started);
  stream.once('close', () => void source.return?.().catch(() => undefined));
  return new StreamableFile(stream, { type: 'text/csv; charset=utf-8', disposition: `attachment; filename="${filename}"` });
}
