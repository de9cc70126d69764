/**
 * Base class of every typed business error. Services throw these, never HTTP exceptions;
 * the API's exception filter maps `code` to a status through one table.
 * `details` are extra, safe-to-show fields that go into the error body (e.g. `{from, to}`).
 */
export abstract class DomainError extends Error {
  abstract readonly code: string;
  /** where API.md answers this code with another status on one route than ERROR_STATUS's (document it with `[code, status]` in @ApiErrors) */
  readonly status?: number;

  constructor(
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export interface FieldError {
  field: string;
  message: string;
}

export class ValidationFailedError extends DomainError {
  readonly code = 'validation_failed';
  constructor(readonly fields: FieldError[]) {
    super(`Invalid request: ${fields.map((f) => f.field).join(', ')}`, { fields });
  }
}

/** No valid session. */
export class UnauthenticatedError extends DomainError {
  readonly code = 'unauthenticated';
  constructor() {
    super('Sign in to continue');
  }
}

export class ForbiddenError extends DomainError {
  readonly code = 'forbidden';
  constructor(message = 'You may not do this') {
    super(message);
  }
}

