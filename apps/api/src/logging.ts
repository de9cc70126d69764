import type { DestinationStream } from 'pino';
import type { Params } from 'nestjs-pino';
import type { AppConfig } from '@loomworks/config';

/** Query parameters that carry secrets (claim tokens in claim URLs). */
const SECRET_QUERY = /([?&](?:token|claimToken|adminToken)=)[^&]*/gi;

/**
 * Structured JSON logs (pino). Secrets never reach them: credentials in headers are redacted,
 * bodies are not logged, and secret query parameters are masked in the logged URL.
 * Request ids come from Fastify (see bootstrap.ts), so logs and error bodies share them.
 */
export function loggerParams(config: AppConfig, stream?: DestinationStream): Params {
  const options = {
    level: config.logLevel,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'req.headers["x-api-key"]',
        'res.headers["set-cookie"]',
      ],
      censor: '[redacted]',
    },
    serializers: {
      req: (req: { id: string; method: string; url: string; headers: Record<string, unknown>; remoteAddress?: string }) => ({
        id: req.id,
        method: req.method,
        url: req.url.replace(SECRET_QUERY, '$1[redacted]'),
        headers: req.headers,
        remoteAddress: req.remoteAddress,
      }),
    },
  };
  return { pinoHttp: stream ? [options, stream] : options };
}
