import { ArgumentsHost, Catch, HttpException, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { DomainError, ERROR_STATUS } from '@loomworks/common';
import { isDatabaseUnavailable } from '@loomworks/database';

/** Anthropic's error body, which its SDKs parse into their exception classes. */
export interface AnthropicErrorBody {
  type: 'error';
  error: { type: string; message: string };
}

const TURNS_IN_FLIGHT_RETRY_SECONDS = 1;

/** Anthropic's error type for each status the Messages API answers (its "Errors" page). */
const ANTHROPIC_TYPE: Readonly<Record<number, string>> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  529: 'overloaded_error',
};

export function anthropicError(status: number, message: string): AnthropicErrorBody {
  const type = ANTHROPIC_TYPE[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
  return { type: 'error', error: { type, message } };
}

/**
 * The gateway controller's errors in Anthropic's shape, so SDKs raise their usual exceptions: a
 * domain error's status comes from ERROR_STATUS as everywhere else, and picks the error type.
 * Anything unexpected is a 500 api_error, logged with the request id, described neutrally.
 */
@Catch()
export class AnthropicErrorFilter implements ExceptionFilter {
  constructor(@InjectPinoLogger('gateway') private readonly logger: PinoLogger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const request = host.switchToHttp().getRequest<FastifyRequest>();
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    if (reply.sent) return;
    const { status, message, retryAfterSeconds } = this.describe(exception, request);
    // Anthropic's SDKs wait for Retry-After on a 429; too many requests in flight clear within seconds.
    const retryAfter = retryAfterSeconds ?? (status === 429 ? TURNS_IN_FLIGHT_RETRY_SECONDS : undefined);
    if (retryAfter !== undefined) void reply.header('retry-after', String(retryAfter));
    void reply.status(status).send(anthropicError(status, message));
  }

  private describe(exception: unknown, request: FastifyRequest): { status: number; message: string; retryAfterSeconds?: number } {
    if (exception instanceof DomainError && ERROR_STATUS[exception.code] !== undefined) {
      const retry = exception.details.retryAfterSeconds;
      return { status: ERROR_STATUS[exception.code], message: exception.message, retryAfterSeconds: typeof retry === 'number' ? retry : undefined };
    }
    if (exception instanceof HttpException && exception.getStatus() < 500) return { status: exception.getStatus(), message: exception.message };
    if (isDatabaseUnavailable(exception)) {
      this.logger.warn({ requestId: request.id }, 'database unavailable');
      return { status: 503, message: 'The database is unreachable; retry shortly.', retryAfterSeconds: 5 };
    }
    this.logger.error({ err: exception, requestId: request.id }, 'unhandled error');
    return { status: 500, message: `Something went wrong on our side (request ${request.id}).` };
  }
}
