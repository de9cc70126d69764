import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import fastifyCookie from '@fastify/cookie';
import { BadRequestException, type INestApplication } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { Logger } from 'nestjs-pino';
import { MAX_CREDENTIAL_ID_LENGTH } from '@loomworks/auth';
import type { AppConfig } from '@loomworks/config';
import { AllowedMethods } from './http/allowed-methods';
import { registerBodyDrain } from './http/body-drain';
import { registerCsvBodyParser, registerJsonBodyParser } from './http/json-body';
import { registerSecurityHeaders, SECURITY_HEADERS } from './http/security-headers';
import { QuietFrameworkLogger, registerLeanRequestLog } from './logging';

export const BODY_LIMIT_BYTES = 1024 * 1024;
/**
 * The longest path parameter any route takes: a passkey's credential id (base64url of WebAuthn's
 * 1023-byte maximum, /me/passkeys/:id). Longer ones are refused (400) before routing; every route
 * checks its own parameters (uuidParam, the credential id check) within this.
 */
export const MAX_PARAM_LENGTH = MAX_CREDENTIAL_ID_LENGTH;

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Honours a well-formed incoming X-Request-Id, else makes one; echoed on every response. */
function requestId(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

/**
 * Nest's adapter would add its own JSON and form parsers at init; ours (registered in the
 * constructor) is the only one, so a form or text body is a 415 and JSON is depth-checked.
 */
class LoomworksFastifyAdapter extends FastifyAdapter {
  private readonly allowedMethods = AllowedMethods.track(this.getInstance(), MAX_PARAM_LENGTH);

  override registerParserMiddleware(): void {}

  /** Nest's not-found handler answers 404; a path that exists for other methods is a 405 with `Allow`. */
  override setNotFoundHandler(handler: (request: FastifyRequest, reply: FastifyReply) => unknown) {
    return super.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) => {
      const allowed = this.allowedMethods.for(request.url);
      if (allowed.length === 0) return handler(request, reply);
      const message = `${request.method} is not allowed here; allowed: ${allowed.join(', ')}`;
      return reply.code(405).header('allow', allowed.join(', ')).send({ statusCode: 405, error: 'method_not_allowed', message });
    });
  }
}

/**
 * Errors Fastify's router raises before any Nest code or hook runs (bad percent-encoding, over-long
 * parameters): the hooks that add the security headers and the request id don't run, so they are set here.
 */
function routerError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const message = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? `A path parameter is longer than ${MAX_PARAM_LENGTH} characters` : 'Malformed URL';
  void reply.headers({ ...SECURITY_HEADERS, 'x-request-id': request.id }).code(400).send({ statusCode: 400, error: 'bad_request', message });
}

/**
 * Requests Node's HTTP parser refuses before Fastify sees them (headers or URL over 16 KB, broken
 * framing, a slow client): answered on the raw socket, still in our error shape.
 */
function clientError(error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'headers_too_large', 'The request line or headers are too large']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'request_timeout', 'The request took too long to arrive']
        : [400, 'bad_request', 'Malformed HTTP request'];
  const body = JSON.stringify({ statusCode: status, error: code, message });
  const headers = Object.entries({
    ...SECURITY_HEADERS,
    'content-length': String(Buffer.byteLength(body)),
    'content-type': 'application/json; charset=utf-8',
    connection: 'close',
  });
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${headers.map(([name, value]) => `${name}: ${value}\r\n`).join('')}\r\n${body}`);
  }
  socket.destroy();
}

/** API.md: an Idempotency-Key is 1–255 characters; checked once here for every route that reads it. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

function malformedHeader(request: FastifyRequest): Error | undefined {
  const key = request.headers['idempotency-key'];
  if (key === undefined) return undefined;
  if (typeof key !== 'string' || key.length < 1 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
    return new BadRequestException(`Idempotency-Key must be one header of 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters`);
  }
  return undefined;
}

export function createFastifyAdapter(config?: Pick<AppConfig, 'trustProxy'>): FastifyAdapter {
  const adapter = new LoomworksFastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    // Client addresses (throttles) come from the socket unless TRUST_PROXY names the proxies.
    trustProxy: config?.trustProxy ?? false,
    genReqId: requestId,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors: routerError,
    clientErrorHandler: clientError,
  });
  const fastify = adapter.getInstance();
  registerJsonBodyParser(fastify, BODY_LIMIT_BYTES);
  registerCsvBodyParser(fastify);
  registerBodyDrain(fastify);
  registerLeanRequestLog(fastify);
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', request.id);
    done();
  });
  // After onRequest, so the refusal carries the security headers like every other answer.
  fastify.addHook('preValidation', (request, _reply, done) => done(malformedHeader(request)));
  return adapter;
}

/** What main.ts and the test apps both need beyond the module graph: logger, cookies, headers, OpenAPI. */
export async function configureApp(app: NestFastifyApplication): Promise<NestFastifyApplication> {
  app.useLogger(new QuietFrameworkLogger(app.get(Logger)));
  await app.register(fastifyCookie);
  await registerSecurityHeaders(app.getHttpAdapter().getInstance());
  SwaggerModule.setup('docs', app, openApiDocument(app), { jsonDocumentUrl: 'docs-json' });
  return app;
}

/** The OpenAPI document of the app's routes: served at /docs-json, and the pages' API types (scripts/api-types.ts). */
export function openApiDocument(app: INestApplication): OpenAPIObject {
  return SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Loomworks Engine')
      .setDescription('Credit-metered LLM conversations: grants, passkey + TOTP accounts, a double-entry ledger.')
      .setVersion('1')
      .addBearerAuth()
      .build(),
  );
}
