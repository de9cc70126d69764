import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';

/**
 * A client that sends a too-large body still gets the 413 (DESIGN, Bounded everything): Fastify
 * answers as soon as it knows and closes the connection, and a client still writing its body
 * then fails on the closed socket (`fetch failed`, EPIPE) before it reads the answer. So the rest
 * of the body is read and discarded first — up to this many bytes, for at most DRAIN_TIMEOUT_MS;
 * a larger or slower one is cut off.
 */
export const MAX_DRAINED_BYTES = 16 * 1024 * 1024;
const DRAIN_TIMEOUT_MS = 30_000;

export function registerBodyDrain(fastify: FastifyInstance): void {
  fastify.addHook('onSend', async (request, reply, payload) => {
    if (reply.statusCode !== 413 || request.raw.complete) return payload;
    const declared = Number(request.headers['content-length']);
    if (!(declared > MAX_DRAINED_BYTES)) await drain(request.raw, MAX_DRAINED_BYTES);
    return payload;
  });
}

/** Reads and discards the request's remaining body; resolves at its end, on error, or past `max` bytes or the timeout. */
function drain(stream: IncomingMessage, max: number): Promise<void> {
  return new Promise((resolve) => {
    let read = 0;
    const timer = setTimeout(finish, DRAIN_TIMEOUT_MS);
    function onData(chunk: Buffer | string): void {
      read += chunk.length;
      if (read > max) finish();
    }
    function finish(): void {
      clearTimeout(timer);
      stream.off('data', onData).off('end', finish).off('error', finish).off('close', finish);
      resolve();
    }
    stream.on('data', onData).once('end', finish).once('error', finish).once('close', finish);
    stream.resume();
  });
}
