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
