import { DomainError } from '@loomworks/common';
import type { Eligibility } from './grant';

/** Every typed error the credit substrate raises; the HTTP filter maps each code (API.md). */
export abstract class CreditError extends DomainError {}

export class IneligibleEmailError extends CreditError {
  readonly code = 'ineligible_email';
  constructor(
    readonly eligibility: Exclude<Eligibility, 'eligible'>,
    readonly matchedHash: string,
  ) {
    super(`This address cannot receive a grant (${eligibility})`, { eligibility, matchedHash });
  }
}

export class GrantNotFoundError extends CreditError {
  readonly code = 'grant_not_found';
  constructor() {
    super('No such grant');
  }
}

export class GrantAlreadyClaimedError extends CreditError {
  readonly code = 'grant_already_claimed';
  constructor() {
    super('This grant has already been claimed');
  }
}

export class GrantExpiredError extends CreditError {
  readonly code = 'grant_expired';
  constructor() {
    super('This grant has expired');
  }
}

export class GrantRevokedError extends CreditError {
  readonly code = 'grant_revoked';
  constructor() {
    super('This grant has been revoked');
  }
}

export class GrantEmailMismatchError extends CreditError {
  readonly code = 'grant_email_mismatch';
  constructor() {
    super('This grant is addressed to another email');
  }
}

export class UnknownAssetError extends CreditError {
  readonly code = 'unknown_asset';
  constructor(asset: string) {
    super(`Unknown credit asset "${asset}"`, { asset });
  }
}

export class InvalidAmountError extends CreditError {
  readonly code = 'invalid_amount';
  constructor(reason: string) {
    super(`Invalid amount: ${reason}`);
  }
}

export class MissingRateError extends CreditError {
  readonly code = 'missing_rate';
  constructor(
    readonly model: string,
    readonly tokenKind: string,
  ) {
    super(`No credit rate is configured for ${model} ${tokenKind} tokens`, { model, tokenKind });
  }
}

export class InvalidRateError extends CreditError {
  readonly code = 'invalid_rate';
  constructor(reason: string) {
    super(`Invalid rate: ${reason}`);
  }
}

/** The person already has max_turns_in_flight system-key turns holding credit (HTTP 429). */
export class TurnsInFlightError extends CreditError {
  readonly code = 'turns_in_flight';
  constructor(readonly limit: number) {
    super(`At most ${limit} turns may run at once; wait for one to finish`);
  }
}

/** How long a refused export is told to wait: a typical export's length, not a promise. */
const EXPORT_RETRY_AFTER_SECONDS = 10;

/**
 * An export (the ledger's, or a member's flows) refused because one of the same person's is still
 * running: each holds a connection and a snapshot for its whole download, so one at a time each.
 * The documented 429 `rate_limited`, with Retry-After.
 */
export class ExportInProgressError extends CreditError {
  readonly code = 'rate_limited';
  constructor() {
    super('An export of yours is still running: wait for it to finish', { retryAfterSeconds: EXPORT_RETRY_AFTER_SECONDS });
  }
}

/**
 * A spend limit (DESIGN.md "Spend limits and team pools") has no headroom left for this hold in
 * its period: 429 with Retry-After = the seconds until the period ends (the latest end among the
 * periods that are short).
 */
export class LimitReachedError extends CreditError {
  readonly code = 'limit_reached';
  constructor(retryAt: Date, now: Date) {
    super(`A spend limit is reached for this period; it resets at ${retryAt.toISOString()}`, {
      retryAfterSeconds: Math.max(1, Math.ceil((retryAt.getTime() - now.getTime()) / 1000)),
    });
  }
}

/** A ledger write repeated under an idempotency key with another kind, asset, amount or party. */
export class LedgerKeyReusedError extends CreditError {
  readonly code = 'ledger_key_reused';
  constructor(readonly idempotencyKey: string) {
    super('This ledger idempotency key was already used for a different transfer');
  }
}

/** Credit written to a deleted account (an adjustment or a claim) is refused (HTTP 409). */
export class AccountDeletedError extends CreditError {
  readonly code = 'account_deleted';
  constructor() {
    super('This account was deleted; it takes no credit');
  }
}

export class AuthorizationNotFoundError extends CreditError {
  readonly code = 'authorization_not_found';
  constructor() {
    super('No such authorization');
  }
}

/** A capture or void of an authorization already captured, voided or expired (HTTP 409). */
export class AuthorizationNotActiveError extends CreditError {
  readonly code = 'authorization_not_active';
  constructor(status: string) {
    super(`This authorization is ${status}, no longer active`);
  }
}

/** A capture after the authorization's expiry (HTTP 410): its hold is (or is about to be) released. */
export class AuthorizationExpiredError extends CreditError {
  readonly code = 'authorization_expired';
  constructor() {
    super('This authorization expired; its credit went back to the payer');
  }
}

export class CaptureExceedsAuthorizationError extends CreditError {
  readonly code = 'capture_exceeds_authorization';
  constructor(authorized: bigint) {
    super(`A capture takes at most the authorized ${authorized} credits`);
  }
}

/** The payer's balance of the asset(s) that may pay doesn't cover the authorization (HTTP 402). */
export class AuthorizationNotCoveredError extends CreditError {
  readonly code = 'credit_exhausted';
  constructor(amount: bigint) {
    super(`The payer's credit does not cover ${amount} credits`);
  }
}

/**
 * An authorization on a suspended person's credit. API.md answers it with 409 (a state conflict of
 * the payer, beside account_deleted), where a suspended person's own login answers 403.
 */
export class AuthorizationPayerSuspendedError extends CreditError {
  readonly code = 'account_suspended';
  override readonly status = 409;
  constructor() {
    super("This person's account is suspended; their credit can't be authorized");
  }
}

/** A refund of more than is left of what the charge took (HTTP 409); `refundable` says how much is. */
export class RefundExceedsChargeError extends CreditError {
  readonly code = 'refund_exceeds_charge';
  constructor(charged: bigint, refunded: bigint) {
    super(`This charge took ${charged} credits and ${refunded} were refunded already; at most ${charged - refunded} can be refunded`, {
      charged: Number(charged),
      totalRefunded: Number(refunded),
    });
  }
}

/**
 * A write committed without waiting for its WAL flush (a pool's hold, a contended payer's
 * Messages API hold or settlement) was not there to confirm: the server that took it was lost
 * before the flush (crash or failover), so it never happened. Its SQLSTATE class 08 (connection
 * exception) makes the API answer it as it answers the lost server itself: 503 db_unavailable,
 * retry shortly.
 */
export class LostBeforeFlushError extends Error {
  readonly code = '08006';
  constructor(what: string) {
    super(`${what} was lost with the database server before it was durable`);
  }
}
