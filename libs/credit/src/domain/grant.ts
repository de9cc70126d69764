import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Whether an email may receive a grant, and if not, which registry entry it matched. */
export type Eligibility = 'eligible' | 'duplicate_exact' | 'duplicate_normalized' | 'cooling';

export const GRANT_KINDS = ['welcome', 'promo', 'referral', 'manual'] as const;
export type GrantKind = (typeof GRANT_KINDS)[number];
/** `expired` is never stored: it is an issued grant read after its expiry. */
export type GrantStatus = 'issued' | 'claimed' | 'expired' | 'revoked';
export const GRANT_STATUSES: readonly GrantStatus[] = ['issued', 'claimed', 'expired', 'revoked'];

export interface Grant {
  id: string;
  asset: string;
  kind: GrantKind;
  amount: bigint;
  recipientEmail: string;
  status: GrantStatus;
  expiresAt: Date;
  issuedBy: string | null;
  referrerPersonId: string | null;
  claimedByPersonId: string | null;
  claimedAt: Date | null;
  createdAt: Date;
  metadata: Record<string, unknown>;
}

export function derivedStatus(stored: 'issued' | 'claimed' | 'revoked', expiresAt: Date, now: Date): GrantStatus {
  return stored === 'issued' && expiresAt <= now ? 'expired' : stored;
}

/** A grant as stored: the status written (expired is derived on read, by grantAt) and its claim token's hash. */
export interface StoredGrant extends Omit<Grant, 'status'> {
  storedStatus: 'issued' | 'claimed' | 'revoked';
  tokenHash: Buffer;
  /** SHA-256 of the recipient's canonical address: a claimer's must match */
  emailHash: string;
}

/** The grant as read at `now`. */
export function grantAt({ storedStatus, tokenHash: _tokenHash, emailHash: _emailHash, ...grant }: StoredGrant, now: Date): Grant {
  return { ...grant, status: derivedStatus(storedStatus, grant.expiresAt, now) };
}

/** 256 bits from the CSPRNG, URL-safe. Only its SHA-256 is ever stored. */
export function newClaimToken(): string {
  return randomBytes(32).toString('base64url');
}

export function claimTokenHash(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** Constant-time comparison of a presented token with a stored hash. */
export function claimTokenMatches(token: string, storedHash: Buffer): boolean {
  const presented = claimTokenHash(token);
  return presented.length === storedHash.length && timingSafeEqual(presented, storedHash);
}

export interface EligibilityResult {
  eligibility: Eligibility;
  /** the hash that matched (exact for duplicate_exact, normalized otherwise); null when eligible */
  matchedHash: string | null;
}

export interface IssueGrantCommand {
  recipientEmail: string;
  asset: string;
  kind: GrantKind;
  amount: bigint;
  expiresInDays?: number;
  referrerPersonId?: string | null;
  issuedBy?: string | null;
  /** staff may issue to a non-eligible address; the state, the matched hash and the note are recorded */
  overrideEligibility?: boolean;
  note?: string;
}

export interface IssuedGrant {
  grant: Grant;
  /** shown once: only its hash is stored */
  claimToken: string;
}

export interface ClaimGrantCommand {
  claimToken: string;
  personId: string;
  /** the claimer's verified email; must be the grant's recipient */
  email: string;
}

export interface ClaimResult {
  grantId: string;
  asset: string;
  amount: bigint;
  balanceAfter: bigint;
  referrerPersonId: string | null;
}
