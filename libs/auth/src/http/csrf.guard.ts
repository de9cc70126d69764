import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { APP_CONFIG, type AppConfig } from '@loomworks/config';
import { CsrfRefusedError } from '../domain/errors';
import { sessionCredential } from './guards';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * CSRF (DESIGN.md "Security posture"). A write authenticated by the session cookie must come from
 * one of our origins (`Origin` among the configured ones, or `Sec-Fetch-Site: same-origin`) and be
 * JSON — a cross-site form cannot send that without a CORS preflight we never grant. Bearer
 * requests are exempt (no ambient credential). A write without a session that a browser marks as
 * coming from a foreign origin is refused too: that is a login-CSRF attempt (logging the victim
 * into the attacker's account through a public route that sets the cookie).
 */
@Injectable()
export class CsrfGuard implements CanActivate {
  private readonly origins: Set<string>;
  private readonly secureCookie: boolean;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.origins = new Set([config.publicOrigin, ...config.webauthn.origins]);
    this.secureCookie = config.publicOrigin.startsWith('https:');
  }

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (SAFE_METHODS.has(request.method)) return true;
    const credential = sessionCredential(request, this.secureCookie);
    if (credential?.via === 'bearer') return true;
    const fromUs = this.fromOurOrigin(request);
    if (credential?.via === 'cookie') {
      if (!fromUs || !isJson(request)) throw new CsrfRefusedError();
      return true;
    }
    if (request.headers.origin !== undefined && !fromUs) throw new CsrfRefusedError();
    return true;
  }

  private fromOurOrigin(request: FastifyRequest): boolean {
    const origin = request.headers.origin;
    if (typeof origin === 'string' && this.origins.has(origin)) return true;
    return request.headers['sec-fetch-site'] === 'same-origin';
  }
}

/** JSON, or CSV (bulk grants): neither is a CORS-safelisted type, so a cross-site page can't send one without a preflight. */
function isJson(request: FastifyRequest): boolean {
  const type = request.headers['content-type'];
  const media = typeof type === 'string' ? type.split(';')[0].trim().toLowerCase() : '';
  return media === 'application/json' || media === 'text/csv';
}
