import { createHash, createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';

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

/** A signup's mailed code: six digits people can type, from the CSPRNG. */
export function newEmailCode(): string {
  return String(randomInt(0, 1_000_000)).padStart(6, '0');
}

/**
 * How a mailed code is stored: an HMAC under the server's secret key, bound to its registration.
 * A plain hash of six digits would be reversed by trying all million; without the key, a copy of
 * the database alone can't.
 */
export function emailCodeHash(secretKey: string, registrationId: string, code: string): Buffer {
  return createHmac('sha256', Buffer.from(secretKey, 'base64url')).update(`signup-code:${registrationId}:${code}`).digest();
}

export function sameHash(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A staff-issued recovery link lives a day. */
export const RECOVERY_TTL_MS = 24 * 3_600_000;
