import { randomBytes } from 'node:crypto';
import { apiKeySha256 } from './api-key';

/** `lk_` + 32 random bytes (256 bits) in base64url, like a person's `lw_` key; only its SHA-256 is kept. */
export const SERVICE_KEY_MARKER = 'lk_';
const KEY_BYTES = 32;
const KEY_PATTERN = /^lk_[A-Za-z0-9_-]{43}$/;
const PREFIX_LENGTH = SERVICE_KEY_MARKER.length + 8;

/** What a service key allows (DESIGN.md "Authorizations and refunds"): authorize and capture credit. */
export const SERVICE_KEY_SCOPE = 'credit:authorize';

export interface ServiceKey {
  id: string;
  name: string;
  prefix: string;
  createdBy: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

export function generateServiceKey(): { key: string; prefix: string; sha256: Buffer } {
  const key = SERVICE_KEY_MARKER + randomBytes(KEY_BYTES).toString('base64url');
  return { key, prefix: key.slice(0, PREFIX_LENGTH), sha256: apiKeySha256(key) };
}

export function isServiceKeyShaped(text: string): boolean {
  return KEY_PATTERN.test(text);
}
