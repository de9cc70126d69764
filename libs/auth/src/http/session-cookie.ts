import type { FastifyReply } from 'fastify';

/** The cookie's name on plain http (local runs). */
export const SESSION_COOKIE = 'loomworks_session';

/**
 * On https the cookie is `__Host-` prefixed: browsers then only accept it Secure, host-only and
 * for path `/`, so a sibling subdomain cannot plant or shadow a session (cookie tossing).
 */
export function sessionCookieName(secure: boolean): string {
  return secure ? `__Host-${SESSION_COOKIE}` : SESSION_COOKIE;
}

/** The session as an HttpOnly, SameSite=Lax cookie (Secure and `__Host-` when the public origin is https). */
export function setSessionCookie(reply: FastifyReply, token: string, expiresAt: Date, secure: boolean): void {
  void reply.setCookie(sessionCookieName(secure), token, { httpOnly: true, sameSite: 'lax', secure, path: '/', expires: expiresAt });
}

export function clearSessionCookie(reply: FastifyReply, secure: boolean): void {
  void reply.clearCookie(sessionCookieName(secure), { httpOnly: true, sameSite: 'lax', secure, path: '/' });
}
