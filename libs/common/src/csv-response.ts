import { applyDecorators, StreamableFile } from '@nestjs/common';
import { ApiOkResponse, ApiProduces } from '@nestjs/swagger';
import { csvStream, type CsvCell } from './csv';

/** OpenAPI of a route answering a CSV download. */
export const ApiCsvResponse = (description: string) =>
  applyDecorators(ApiProduces('text/csv'), ApiOkResponse({ description, content: { 'text/csv': { schema: { type: 'string' } } } }));

/** A streamed CSV download (csvStream) as the route's answer: text/csv, saved as `filename`. */
export function csvFile(filename: string, header: readonly string[], batches: AsyncIterable<readonly (readonly CsvCell[])[]>): StreamableFile {
  return new StreamableFile(csvStream(header, batches), { type: 'text/csv; charset=utf-8', disposition: `attachment; filename="${filename}"` });
}
