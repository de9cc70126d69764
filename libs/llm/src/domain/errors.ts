import { DomainError } from '@loomworks/common';

/** The upstream LLM failed (error answer, timeout, unreachable, no usage); nothing was recorded or charged. */
export class LlmError extends DomainError {
  readonly code = 'llm_error';
  constructor() {
    super('The language model could not answer; nothing was charged. Try again.');
  }
}
