import { createParamDecorator, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ApiKeysService } from '../api-keys.service';
import type { ApiKeyCaller } from '../domain/api-key';
import { ApiKeyAccountInactiveError, InvalidApiKeyError } from '../domain/errors';

type KeyedRequest = FastifyRequest & { apiKeyCaller?: ApiKeyCaller };

/** The key as the official SDKs send it: `x-api-key`, or `Authorization: Bearer` (auth token clients). */
export function presentedApiKey(request: FastifyRequest): string | undefined {
  const header = request.headers['x-api-key'];
  if (typeof header === 'string') return header.trim();
  const authorization = request.headers.authorization;
  return typeof authorization === 'string' && authorization.startsWith('Bearer ') ? authorization.slice('Bearer '.length).trim() : undefined;
}

/**
 * The Messages API's authentication (instead of a session): a live key of an active person.
 * A suspended or deleted person's keys are refused with 403, everything else with one 401.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(private readonly apiKeys: ApiKeysService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<KeyedRequest>();
    const presented = presentedApiKey(request);
    const caller = presented ? await this.apiKeys.authenticate(presented) : null;
    if (!caller) throw new InvalidApiKeyError();
    if (caller.accountStatus !== 'active') throw new ApiKeyAccountInactiveError(caller.accountStatus);
    request.apiKeyCaller = caller;
    return true;
  }
}

/** The caller the ApiKeyGuard resolved. */
export const ApiKeyCallerParam = createParamDecorator((_: unknown, context: ExecutionContext): ApiKeyCaller => {
  return context.switchToHttp().getRequest<KeyedRequest>().apiKeyCaller!;
});
