import { createParamDecorator, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { InvalidServiceKeyError } from '../domain/errors';
import { ServiceKeysService } from '../service-keys.service';

type KeyedRequest = FastifyRequest & { serviceKeyId?: string };

/** The authorizations routes' authentication (instead of a session): `Authorization: Bearer lk_…`, a live service key. */
@Injectable()
export class ServiceKeyGuard implements CanActivate {
  constructor(private readonly serviceKeys: ServiceKeysService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<KeyedRequest>();
    const authorization = request.headers.authorization;
    const presented = typeof authorization === 'string' && authorization.startsWith('Bearer ') ? authorization.slice('Bearer '.length).trim() : undefined;
    const id = presented ? await this.serviceKeys.authenticate(presented) : null;
    if (!id) throw new InvalidServiceKeyError();
    request.serviceKeyId = id;
    return true;
  }
}

/** The id of the service key the ServiceKeyGuard accepted. */
export const ServiceKeyId = createParamDecorator((_: unknown, context: ExecutionContext): string => {
  return context.switchToHttp().getRequest<KeyedRequest>().serviceKeyId!;
});
