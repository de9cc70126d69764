import { RequestMethod, type LoggerService } from '@nestjs/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { DestinationStream, Logger as Pino } from 'pino';
import { stdSerializers } from 'pino';
import { PinoLogger, type Params } from 'nestjs-pino';
import type { AppConfig } from '@loomworks/config';

/** Query parameters that carry secrets (the tokens in the links we send) or personal data (admin look-ups by email). */
const SECRET_PARAMETERS = new Set(['token', 'claimtoken', 'admintoken', 'recoverytoken', 'email']);

function decoded(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

/**
 * Masks the values of secret query parameters. Names are compared decoded, so `%74oken=` (an
 * encoded `token=`, which the server decodes just the same) is masked too.
 */
export function redactUrl(url: string): string {
  const start = url.indexOf('?');
  if (start === -1) return url;
  const query = url
    .slice(start + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq === -1 ? pair : pair.slice(0, eq);
      return eq !== -1 && SECRET_PARAMETERS.has(decoded(name).trim().toLowerCase()) ? `${name}=[redacted]` : pair;
    });
  return `${url.slice(0, start)}?${query.join('&')}`;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Replaces each value where it stands as a value: not inside a longer word or number, so a
 * parameter `9` masks `"9"` but leaves `task_queues:95` and `v9` alone. Longer values go first.
 */
export function withoutValues(text: string, values: string[]): string {
  return [...values]
    .sort((a, b) => b.length - a.length)
    .reduce((out, value) => out.replace(new RegExp(`(?<![A-Za-z0-9])${escapeRegExp(value)}(?![A-Za-z0-9])`, 'g'), '[parameter]'), text);
}

/** A stack's frames are code locations, never data: only its header (the message) is masked. */
function withoutValuesInHeader(stack: string, values: string[]): string {
  const frames = stack.search(/\n\s+at /);
  return frames === -1 ? withoutValues(stack, values) : withoutValues(stack.slice(0, frames), values) + stack.slice(frames);
}

/**
 * Errors as pino would log them, minus what a database error carries about the data: the bound
 * parameters (emails, user handles, tokens), the driver's `detail` ("Key (email)=(…) exists"), the
 * wrapped driver error, and any parameter value Postgres quoted in its message ("invalid input
 * syntax …: \"…\""). The SQL text, code and constraint stay: they locate the fault.
 */
export function serializeError(error: unknown): unknown {
  // pino-http hands custom serializers the standard serialization, not the Error itself.
  const serialized = error instanceof Error ? (stdSerializers.err(error) as unknown as Record<string, unknown>) : error;
  if (serialized === null || typeof serialized !== 'object') return serialized;
  const fields = { ...(serialized as Record<string, unknown>) };
  const parameters = fields.parameters;
  for (const field of ['parameters', 'driverError', 'detail', 'where', 'hint', 'internalQuery']) delete fields[field];
  if (Array.isArray(parameters)) {
    const values = parameters
      .filter((p) => p !== null && p !== undefined)
      .map((p) => (Buffer.isBuffer(p) ? p.toString('hex') : typeof p === 'object' ? JSON.stringify(p) : String(p)))
      .filter((v) => v.length > 0);
    if (typeof fields.message === 'string') fields.message = withoutValues(fields.message, values);
    if (typeof fields.stack === 'string') fields.stack = withoutValuesInHeader(fields.stack, values);
  }
  return fields;
}

/**
 * Structured JSON logs (pino). Secrets never reach them: credentials in headers are redacted,
 * bodies are not logged, secret query parameters are masked in the logged URL, and database
 * errors lose their parameters. Request ids come from Fastify (see bootstrap.ts), so logs and
 * error bodies share them.
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
        url: redactUrl(req.url),
        headers: req.headers,
        remoteAddress: req.remoteAddress,
      }),
      err: serializeError,
    },
  };
  return { pinoHttp: stream ? [options, stream] : options, exclude: [{ method: RequestMethod.POST, path: LEAN_LOGGED_ROUTE.path.slice(1) }] };
}

/**
 * The Messages API's request line, written without pino-http. Its middleware (run through
 * @fastify/middie, with an AsyncLocalStorage scope for nestjs-pino) builds a child logger per
 * request, serializing and redacting every header, whatever the level: ~15 % of the API process's
 * CPU on a relayed call, the route whose cost users compare with other gateways. The line keeps
 * pino-http's message and the fields an operator reads (request id, method, URL, client address,
 * status, response time); the SDK's headers are left out. Logs written while serving it (errors)
 * carry the request or call id themselves.
 */
export const LEAN_LOGGED_ROUTE = { method: 'POST', path: '/v1/messages' } as const;

/**
 * Call before the routes are registered (the onRoute hook sees only later ones). The line is
 * written when the response closes, as pino-http did: a streamed answer is written on the raw
 * socket (the reply hijacked), where Fastify's onResponse hooks don't run.
 */
export function registerLeanRequestLog(fastify: FastifyInstance, logger: () => Pino | undefined = () => PinoLogger.root): void {
  const onRequest = (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    reply.raw.once('close', () => requestLine(logger(), request, reply));
    done();
  };
  fastify.addHook('onRoute', (route) => {
    if (route.url !== LEAN_LOGGED_ROUTE.path || route.method !== LEAN_LOGGED_ROUTE.method) return;
    route.onRequest = [...(route.onRequest === undefined ? [] : ([] as unknown[]).concat(route.onRequest)), onRequest] as typeof route.onRequest;
  });
}

function requestLine(log: Pino | undefined, request: FastifyRequest, reply: FastifyReply): void {
  const status = reply.raw.statusCode;
  const failed = status >= 500;
  if (!log?.isLevelEnabled(failed ? 'error' : 'info')) return;
  const line = {
    req: { id: request.id, method: request.method, url: request.url, socket: request.raw.socket },
    // pino's response serializer reads the status only from an answer whose headers were sent
    res: { statusCode: status, headersSent: true },
    responseTime: Math.round(reply.elapsedTime),
  };
  if (failed) log.error(line, 'request errored');
  else log.info(line, 'request completed');
}

/** Nest's own start-up chatter ("Mapped {/x, GET} route", "… dependencies initialized"). */
const FRAMEWORK_CONTEXTS = new Set(['NestFactory', 'InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestApplication']);

/**
 * The app's logger with Nest's framework messages demoted to debug: start-up prints a few
 * readable lines (main.ts), not forty "Mapped route" records. LOG_LEVEL=debug shows them again.
 */
export class QuietFrameworkLogger implements LoggerService {
  constructor(private readonly inner: LoggerService) {}

  log(message: unknown, ...rest: unknown[]): void {
    const context = rest[rest.length - 1];
    if (typeof context === 'string' && FRAMEWORK_CONTEXTS.has(context)) this.inner.debug?.(message, ...rest);
    else this.inner.log(message, ...rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.inner.error(message, ...rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.inner.warn(message, ...rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.inner.debug?.(message, ...rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.inner.verbose?.(message, ...rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.inner.fatal?.(message, ...rest);
  }
}
