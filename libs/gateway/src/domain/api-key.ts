import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** `lw_` + 32 random bytes (256 bits) in base64url: 43 characters after the marker. */
export const API_KEY_MARKER = 'lw_';
const KEY_BYTES = 32;
const KEY_PATTERN = /^lw_[A-Za-z0-9_-]{43}$/;
/** Characters of the key kept in clear to tell keys apart in lists (`lw_` + 8: 48 of its 256 bits). */
const PREFIX_LENGTH = API_KEY_MARKER.length + 8;

export const LIMIT_PERIODS = ['day', 'week', 'month'] as const;
export type LimitPeriod = (typeof LIMIT_PERIODS)[number];

/** A spend cap per UTC calendar period (DESIGN.md "Spend limits"); stored here, enforced by the payer's hold. */
export interface Limit {
  amount: bigint;
  period: LimitPeriod;
}

export interface ApiKey {
  id: string;
  personId: string;
  name: string;
  prefix: string;
  /** the team engagement whose pool pays for calls made with the key; null: the person pays */
  engagementId: string | null;
  limit: Limit | null;
  createdAt: Date;
  lastUsedAt: Date | null;
}

/** Who a request authenticated by an API key acts as (the key's limit and its person's status are checked where its hold is placed). */
export interface ApiKeyCaller {
  apiKeyId: string;
  personId: string;
  engagementId: string | null;
}

export interface NewApiKey {
  key: string;
  prefix: string;
  sha256: Buffer;
}

export function generateApiKey(): NewApiKey {
  const key = API_KEY_MARKER + randomBytes(KEY_BYTES).toString('base64url');
  return { key, prefix: key.slice(0, PREFIX_LENGTH), sha256: apiKeySha256(key) };
}

/** True for a string shaped like one of our keys (anything else is refused without a database read). */
export function isApiKeyShaped(text: string): boolean {
  return KEY_PATTERN.test(text);
}

export function apiKeySha256(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

/** Compares two digests in constant time (their length is public: both are SHA-256). */
export function sameDigest(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
