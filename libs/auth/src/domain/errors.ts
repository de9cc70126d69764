import { DomainError } from '@loomworks/common';

export { UnauthenticatedError, ForbiddenError } from '@loomworks/common';

export class RegistrationNotFoundError extends DomainError {
  readonly code = 'registration_not_found';
  constructor() {
    super('No such signup in progress (it may have expired or been used)');
  }
}

export class PasskeyVerificationFailedError extends DomainError {
  readonly code = 'passkey_verification_failed';
  constructor() {
    super('The passkey could not be verified; start the signup again');
  }
}

export class InvalidTotpError extends DomainError {
  readonly code = 'invalid_totp';
  constructor() {
    super('The authenticator code is not valid');
  }
}

export class InvalidAdminTokenError extends DomainError {
  readonly code = 'invalid_admin_token';
  constructor() {
    super('The admin signup token is not valid');
  }
}

/** One answer for every failed login, so failures reveal nothing about the account. */
export class LoginFailedError extends DomainError {
  readonly code = 'login_failed';
  constructor() {
    super('The sign-in could not be verified');
  }
}

export class AccountSuspendedError extends DomainError {
  readonly code = 'account_suspended';
  constructor() {
    super('This account is suspended');
  }
}

export class RateLimitedError extends DomainError {
  readonly code = 'rate_limited';
  constructor(retryAfterSeconds: number) {
    super('Too many failed attempts; try again later', { retryAfterSeconds });
  }
}

/** A cookie-authenticated write that did not come, as JSON, from one of our origins (CSRF). */
export class CsrfRefusedError extends DomainError {
  readonly code = 'csrf_refused';
  constructor() {
    super('This request must come from the app itself: same origin, JSON body');
  }
}

/** The mailed signup code is missing or wrong (when signup/begin answered `sent`). */
export class InvalidEmailCodeError extends DomainError {
  readonly code = 'invalid_email_code';
  constructor() {
    super('The code mailed to this address is missing or not valid');
  }
}

export class PasskeyNotFoundError extends DomainError {
  readonly code = 'passkey_not_found';
  constructor() {
    super('No such passkey on this account');
  }
}

/** Removing it would leave the account without any way to sign in. */
export class LastPasskeyError extends DomainError {
  readonly code = 'last_passkey';
  constructor() {
    super('This is the only passkey of the account; add another before removing it');
  }
}

/** This passkey is already registered (on this or another account). */
export class PasskeyExistsError extends DomainError {
  readonly code = 'passkey_exists';
  constructor() {
    super('This passkey is already registered');
  }
}

export class RecoveryNotFoundError extends DomainError {
  readonly code = 'recovery_not_found';
  constructor() {
    super('No such recovery link (it may have been used or replaced)');
  }
}

export class RecoveryExpiredError extends DomainError {
  readonly code = 'recovery_expired';
  constructor() {
    super('This recovery link has expired; ask for a new one');
  }
}
