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
