import { DomainError } from '@loomworks/common';

/** No charged turn with this id (a turn paid by nobody has nothing to refund). */
export class TurnNotFoundError extends DomainError {
  readonly code = 'turn_not_found';
  constructor() {
    super('No charged turn with this id');
  }
}

export class CallNotFoundError extends DomainError {
  readonly code = 'call_not_found';
  constructor() {
    super('No LLM call with this id');
  }
}

/** A money write that must be retry-safe was sent without its Idempotency-Key. */
export class IdempotencyKeyRequiredError extends DomainError {
  readonly code = 'idempotency_key_required';
  constructor() {
    super('This request needs an Idempotency-Key header (1–255 characters), so a retry never issues twice');
  }
}

/** More rows than one upload may carry. */
export class TooManyRowsError extends DomainError {
  readonly code = 'payload_too_large';
  constructor(max: number) {
    super(`At most ${max.toLocaleString('en')} rows per upload`);
  }
}
