import { createParamDecorator, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { isApiKeyShaped } from '../domain/api-key';
import { InvalidApiKeyError } from '../domain/errors';

type KeyedRequest = FastifyRequest & { presentedApiKey?: string };

/** The key as the official SDKs send it: `x-api-key`, or `Authorization: Bearer` (auth token clients). */
export function presentedApiKey(request: FastifyRequest): string | undefined {
  const header = request.headers['x-api-key'];
  if (typeof header === 'string') return header.trim();
  const authorization = request.headers.authorization;
  return typeof authorization === 'string' && authorization.startsWith('Bearer ') ? authorization.slice('Bearer '.length).trim() : undefined;
}

/**
 * The Messages API's authentication (instead of a session), first half: a request without a
 * key shaped like ours is refused here with 401, without a database read. The key itself is
 * checked in the statement that places the request's hold (RequestCredit.place): an unknown or
 * revoked key → 401, a suspended or deleted person's → 403 — one round trip, not two.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<KeyedRequest>();
    const presented = presentedApiKey(request);
    if (!presented || !isApiKeyShaped(presented)) throw new InvalidApiKeyError();
    request.presentedApiKey = presented;
    return true;
  }
}

/** The key the ApiKeyGuard found shaped like one of ours, still to be checked. */
export const PresentedApiKey = createParamDecorator((_: unknown, context: ExecutionContext): string => {
  return context.switchToHttp().getRequest<KeyedRequest>().presentedApiKey!;
});
