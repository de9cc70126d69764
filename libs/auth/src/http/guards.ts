import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Role } from '@loomworks/persons';
import { ForbiddenError, UnauthenticatedError } from '@loomworks/common';
import { SessionsService } from '../sessions.service';
import { IS_PUBLIC, REQUIRED_ROLES, type AuthenticatedRequest } from './decorators';

export const SESSION_COOKIE = 'loomworks_session';

export function sessionTokenOf(request: AuthenticatedRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header === 'string' && header.startsWith('Bearer ')) return header.slice('Bearer '.length).trim();
  return (request as { cookies?: Record<string, string | undefined> }).cookies?.[SESSION_COOKIE];
}

/** Global: every route needs a live session unless marked @Public(). */
@Injectable()
export class SessionGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly sessions: SessionsService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()])) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const token = sessionTokenOf(request);
    const auth = token ? await this.sessions.authenticate(token) : null;
    if (!auth) throw new UnauthenticatedError();
    request.auth = auth;
    return true;
  }
}

/** Global, after SessionGuard: @Roles('admin') routes answer 403 to everyone else. */
@Injectable()
export class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(REQUIRED_ROLES, [context.getHandler(), context.getClass()]);
    if (!roles) return true;
    const person = context.switchToHttp().getRequest<AuthenticatedRequest>().auth?.person;
    if (!person) throw new UnauthenticatedError();
    if (!roles.includes(person.role)) throw new ForbiddenError();
    return true;
  }
}
