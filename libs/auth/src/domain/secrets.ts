import { createHash, randomBytes } from 'node:crypto';

/** Bearer secrets (sessions, admin signup tokens): 256 bits from the CSPRNG, URL-safe. */
export function newOpaqueToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Only this hash is stored; a database read alone never yields a usable token. */
export function tokenHash(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** How long each kind of secret lives. */
export const REGISTRATION_TTL_MS = 10 * 60_000;
export const LOGIN_CHALLENGE_TTL_MS = 5 * 60_000;
export const ADMIN_TOKEN_TTL_MS = 24 * 3_600_000;
