import { DomainError } from '@loomworks/common';

export class NoLlmKeyError extends DomainError {
  readonly code = 'no_llm_key';
  constructor() {
    super('No LLM key is configured for this engagement, this person or the system');
  }
}

/** The upstream LLM failed (error answer, timeout, unreachable); nothing was recorded or charged. */
export class LlmError extends DomainError {
  readonly code = 'llm_error';
  constructor() {
    super('The language model could not answer; nothing was charged. Try again.');
  }
}

export class ConversationNotFoundError extends DomainError {
  readonly code = 'conversation_not_found';
  constructor() {
    super('No such conversation in this engagement');
  }
}
