/** Authorizations (DESIGN.md "Authorizations and refunds"): the plain shapes the CreditSeam speaks. */

export const AUTHORIZATION_STATUSES = ['active', 'captured', 'voided', 'expired'] as const;
export type AuthorizationStatus = (typeof AUTHORIZATION_STATUSES)[number];

export interface Authorization {
  id: string;
  /** the service key that placed it */
  serviceKeyId: string;
  /** who pays: a person, or a team pool (engagementId); exactly one is set */
  personId: string | null;
  engagementId: string | null;
  asset: string;
  amount: bigint;
  /** what the capture charged; null until captured */
  captured: bigint | null;
  /** as stored; an active one past expiresAt is shown as expired (authorizationStatusAt) */
  status: AuthorizationStatus;
  expiresAt: Date;
  metadata: Record<string, unknown>;
  createdAt: Date;
}

export interface AuthorizeCommand {
  serviceKeyId: string;
  /** exactly one of personId and engagementId: a person's own credit or a team pool */
  personId?: string;
  engagementId?: string;
  amount: bigint;
  /** the asset to hold; absent: the first in tier priority whose balance covers the amount */
  asset?: string;
  /** 1 … authorization_max_seconds; absent: authorization_max_seconds */
  expiresInSeconds?: number;
  metadata?: Record<string, unknown>;
}

/** What an authorization is at `at`: an active one whose expiry passed is expired (the sweep releases it). */
export function authorizationStatusAt(a: Pick<Authorization, 'status' | 'expiresAt'>, at: Date): AuthorizationStatus {
  return a.status === 'active' && a.expiresAt.getTime() <= at.getTime() ? 'expired' : a.status;
}
