import { DomainError } from '@loomworks/common';

/** The upstream LLM failed (error answer, timeout, unreachable, no usage); nothing was recorded or charged. */
export class LlmError extends DomainError {
  readonly code = 'llm_error';
  /**
   * @param reason why, for the server's log only (a socket error's code, 'timeout' …): never in
   * the answer, which names no cause a client could act on
   */
  constructor(readonly reason?: string) {
    super('The language model could not answer; nothing was charged. Try again.');
  }
}
