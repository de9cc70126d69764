import { PassThrough, type Readable } from 'node:stream';
import { Logger } from '@nestjs/common';
import { DomainError, ERROR_STATUS } from '@loomworks/common';
import { isDatabaseUnavailable } from '@loomworks/database';
import type { ConverseResponse, TurnSink } from '../converse.service';

const logger = new Logger('TurnEvents');

/** Does the client ask for the turn as server-sent events (API.md "Streaming")? */
export const wantsEventStream = (accept: string | undefined) => /(^|,)\s*text\/event-stream\s*(;|,|$)/i.test(accept ?? '');

const frame = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

/** API.md's error shape for a turn that failed after it started (the stream is already 200). */
function errorBody(error: unknown): { statusCode: number; error: string; message: string } {
  if (error instanceof DomainError && ERROR_STATUS[error.code] !== undefined) {
    return { ...error.details, statusCode: ERROR_STATUS[error.code], error: error.code, message: error.message };
  }
  if (isDatabaseUnavailable(error)) return { statusCode: 503, error: 'db_unavailable', message: 'The database is unreachable; retry shortly.' };
  logger.error(`streamed turn failed: ${error instanceof Error ? error.name : typeof error}`);
  return { statusCode: 500, error: 'internal_error', message: 'Something went wrong on our side.' };
}

/**
 * Runs a turn for an event-stream client: `turn.started`, `reply.delta` …, then `turn.completed`
 * (the ConverseResponse) or `turn.failed` (the error shape). Resolves with the stream to send
 * once the turn has started (or ended without starting: a structural refusal is one
 * `turn.completed`); rejects with what the turn threw before starting, so those stay ordinary
 * JSON errors. A client that goes away only stops the writing: the turn runs to its end.
 */
export function streamTurn(run: (sink: TurnSink) => Promise<ConverseResponse>, onFirstDelta: () => void): Promise<Readable> {
  const out = new PassThrough();
  out.on('error', () => undefined); // a gone client; the turn carries on regardless
  const write = (event: string, data: unknown) => {
    if (!out.destroyed && !out.writableEnded) out.write(frame(event, data));
  };
  return new Promise((resolve, reject) => {
    let started = false;
    let delivered = false;
    const sink: TurnSink = {
      started: (event) => {
        started = true;
        write('turn.started', event);
        resolve(out);
      },
      delta: (text) => {
        if (!delivered) onFirstDelta();
        delivered = true;
        write('reply.delta', { text });
      },
    };
    run(sink).then(
      (response) => {
        write('turn.completed', response);
        out.end();
        resolve(out);
      },
      (error: unknown) => {
        if (!started) return reject(error);
        write('turn.failed', errorBody(error));
        out.end();
      },
    );
  });
}
