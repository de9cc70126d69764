import { DomainError } from '@loomworks/common';

export class NoLlmKeyError extends DomainError {
  readonly code = 'no_llm_key';
  constructor() {
    super('No LLM key is configured for this engagement, this person or the system');
  }
}

export class ConversationNotFoundError extends DomainError {
  readonly code = 'conversation_not_found';
  constructor() {
    super('No such conversation in this engagement');
  }
}

export class AlreadyMemberError extends DomainError {
  readonly code = 'already_member';
  constructor() {
    super('That person is already a member of this engagement');
  }
}
