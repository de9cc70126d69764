import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';

/**
 * The one place the Content-Security-Policy is written. Every response gets the strict policy
 * (no inline script or style, no framing, no base/form hijacking); only the Swagger UI under /docs,
 * which ships inline <style> blocks, is allowed inline styles (never inline scripts).
 */
const STRICT_DIRECTIVES = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  frameAncestors: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
};

const DOCS_DIRECTIVES = { ...STRICT_DIRECTIVES, styleSrc: ["'self'", "'unsafe-inline'"] };

function policy(directives: Record<string, string[]>): string {
  return Object.entries(directives)
    .map(([name, sources]) => `${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} ${sources.join(' ')}`)
    .join('; ');
}

export const DOCS_CSP = policy(DOCS_DIRECTIVES);

const HELMET_OPTIONS: HelmetOptions = {
  contentSecurityPolicy: { useDefaults: false, directives: STRICT_DIRECTIVES },
  referrerPolicy: { policy: 'no-referrer' },
  frameguard: { action: 'deny' },
};

/**
 * The headers helmet sets, as a plain record, for the answers written before Fastify's hooks run
 * (router errors, and Node's own refusals on the raw socket). Computed once by running helmet
 * itself against a recording response, so those answers carry exactly the headers of every other.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = (() => {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader: (name: string, value: string | number | readonly string[]) => void (headers[name.toLowerCase()] = String(value)),
    removeHeader: (name: string) => void delete headers[name.toLowerCase()],
  };
  helmet(HELMET_OPTIONS)({} as IncomingMessage, recorder as unknown as ServerResponse, () => undefined);
  return Object.freeze(headers);
})();

/**
 * Helmet's headers (CSP, frame-ancestors, nosniff, no-referrer …) on every response, errors included:
 * the record above, set by one hook. (@fastify/helmet rebuilt helmet's middleware from its options
 * on every request — the same headers each time, at a cost every request paid.)
 */
export async function registerSecurityHeaders(fastify: FastifyInstance): Promise<void> {
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.headers(SECURITY_HEADERS);
    if (request.url === '/docs' || request.url.startsWith('/docs/')) void reply.header('content-security-policy', DOCS_CSP);
    done();
  });
}
