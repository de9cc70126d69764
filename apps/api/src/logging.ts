import type { IncomingMessage, ServerResponse } from 'node:http';
import { Inject, Injectable, type LoggerService, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { DestinationStream, Logger as Pino } from 'pino';
import { stdSerializers } from 'pino';
import { pinoHttp, type HttpLogger } from 'pino-http';
import { PinoLogger, type Params } from 'nestjs-pino';
import { storage, Store } from 'nestjs-pino/storage';
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
 *
 * The request logger (pino-http) runs from a Fastify hook (RequestLogging), not as Nest
 * middleware: any Nest middleware makes @fastify/middie's hook do its work on every request
 * (copying the request's address, host and query onto the raw request, matching each
 * middleware's path, Nest's exclusion check), ~30 µs of a Messages API request with nothing to log there.
 * nestjs-pino keeps its loggers (PinoLogger, the request scope) and gets pino-http's logger.
 */
export function loggerParams(config: AppConfig, stream?: DestinationStream): { params: Params; httpLogger: HttpLogger } {
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
  const httpLogger = stream ? pinoHttp(options, stream) : pinoHttp(options);
  // No routes: nestjs-pino registers no middleware; its root logger is (a child of) pino-http's.
  return { params: { pinoHttp: { logger: httpLogger.logger }, forRoutes: [] }, httpLogger };
}

export const HTTP_LOGGER = Symbol('HTTP_LOGGER');

/**
 * pino-http for every route but the Messages API's (which writes its own line, below), as
 * nestjs-pino's middleware did: the request's child logger, its line when the response ends,
 * and the scope in which PinoLogger finds that logger (the body parser carries the scope across
 * the body's read, as it did under middie).
 */
@Injectable()
export class RequestLogging implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(HTTP_LOGGER) private readonly httpLogger: HttpLogger,
  ) {}

  onModuleInit(): void {
    // An application context (benches, CLIs) has no HTTP server.
    const fastify = this.adapterHost.httpAdapter?.getInstance?.() as FastifyInstance | undefined;
    if (!fastify?.addHook) return;
    const httpLogger = this.httpLogger;
    fastify.addHook('onRequest', (request, reply, done) => {
      // routeOptions builds an object each time: asked only of a request that may be the Messages API's
      if (request.method === LEAN_LOGGED_ROUTE.method && request.url.startsWith(LEAN_LOGGED_ROUTE.path) && request.routeOptions.url === LEAN_LOGGED_ROUTE.path) {
        return done();
      }
      const req = request.raw as IncomingMessage & { id?: unknown; allLogs?: Pino[] };
      req.id = request.id; // pino-http's request id (middie copied it)
      httpLogger(req, reply.raw as ServerResponse);
      storage.run(new Store(req.allLogs![req.allLogs!.length - 1]), done);
    });
  }
}

/**
 * The Messages API's request line, written without pino-http. pino-http (with the request scope
 * for nestjs-pino) builds a child logger per
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
