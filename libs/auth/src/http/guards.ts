import type { FastifyRequest } from 'fastify';
import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Role } from '@loomworks/persons';
import { ForbiddenError, UnauthenticatedError } from '@loomworks/common';
import { APP_CONFIG, type AppConfig } from '@loomworks/config';
import { SessionsService } from '../sessions.service';
import { IS_PUBLIC, REQUIRED_ROLES } from './decorators';
import type { AuthenticatedRequest } from './decorators';
import { sessionCookieName } from './session-cookie';

export interface SessionCredential {
  token: string;
  /** how it came: the cookie is ambient (sent by the browser on its own), hence the CSRF rules */
  via: 'bearer' | 'cookie';
}

/** The session token of a request: `Authorization: Bearer` first, else the session cookie. */
export function sessionCredential(request: FastifyRequest, secureCookie: boolean): SessionCredential | undefined {
  const header = request.headers.authorization;
  if (typeof header === 'string' && header.startsWith('Bearer ')) return { token: header.slice('Bearer '.length).trim(), via: 'bearer' };
  const cookie = (request as { cookies?: Record<string, string | undefined> }).cookies?.[sessionCookieName(secureCookie)];
  return cookie ? { token: cookie, via: 'cookie' } : undefined;
}

/** Global: every route needs a live session unless marked @Public(). */
@Injectable()
export class SessionGuard implements CanActivate {
  private readonly secureCookie: boolean;

  constructor(
    private readonly reflector: Reflector,
    private readonly sessions: SessionsService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.secureCookie = config.publicOrigin.startsWith('https:');
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()])) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const credential = sessionCredential(request, this.secureCookie);
    const auth = credential ? await this.sessions.authenticate(credential.token) : null;
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
