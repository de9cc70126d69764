import { randomUUID } from 'node:crypto';
import { ArgumentsHost, Catch, ExceptionFilter, HttpException } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { DomainError } from '@loomworks/common';
import { isDatabaseUnavailable } from '@loomworks/database';
import { anthropicError } from '@loomworks/gateway';
import { ERROR_STATUS, HTTP_STATUS_CODE } from './error-status';

export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  [extra: string]: unknown;
}

/**
 * Every error leaves as `{statusCode, error, message, ...details}`. Domain errors map through
 * ERROR_STATUS; framework HTTP errors keep their status; anything else is a 500 with a request id,
 * logged in full here and described to the client in one neutral sentence.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  constructor(@InjectPinoLogger('http') private readonly logger: PinoLogger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const { body, headers } = this.describe(exception, request);
    for (const [name, value] of Object.entries(headers)) reply.header(name, value);
    // The Messages API's own errors are shaped by its controller's filter; what fails before its
    // route runs (body parsing, size, media type) still answers in Anthropic's shape there.
    const shaped = request.url.startsWith('/v1/') ? anthropicError(body.statusCode, body.message) : body;
    void reply.status(body.statusCode).send(shaped);
  }

  describe(exception: unknown, request: FastifyRequest): { body: ErrorBody; headers: Record<string, string> } {
    if (exception instanceof DomainError && ERROR_STATUS[exception.code] !== undefined) {
      const statusCode = exception.status ?? ERROR_STATUS[exception.code];
      const headers: Record<string, string> = {};
      const { retryAfterSeconds, ...details } = exception.details;
      if (typeof retryAfterSeconds === 'number') headers['retry-after'] = String(retryAfterSeconds);
      return { body: { ...details, statusCode, error: exception.code, message: exception.message }, headers };
    }
    if (exception instanceof HttpException && exception.getStatus() < 500) {
      const statusCode = exception.getStatus();
      return {
        body: { statusCode, error: HTTP_STATUS_CODE[statusCode] ?? `http_${statusCode}`, message: exception.message },
        headers: {},
      };
    }
    const requestId = requestIdOf(request);
    if (isDatabaseUnavailable(exception)) {
      // Not a bug: the database is away (outage, restart). Logged briefly; the client may retry.
      this.logger.warn({ requestId, code: (exception as { code?: string }).code }, 'database unavailable');
      return {
        body: { statusCode: 503, error: 'db_unavailable', message: 'The database is unreachable; retry shortly.', requestId },
        headers: { 'retry-after': '5' },
      };
    }
    this.logger.error({ err: exception, requestId }, 'unhandled error');
    return {
      body: { statusCode: 500, error: 'internal_error', message: 'Something went wrong on our side.', requestId },
      headers: {},
    };
  }
}

export function requestIdOf(request: FastifyRequest): string {
  return request.id ?? randomUUID();
}
