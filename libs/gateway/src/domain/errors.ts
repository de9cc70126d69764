import { DomainError } from '@loomworks/common';

// The gateway's refusals. Their codes map to statuses through ERROR_STATUS like every other
// error; on /v1/messages the status then picks Anthropic's error type (http/anthropic-errors.ts).

export class ApiKeyNotFoundError extends DomainError {
  readonly code = 'api_key_not_found';
  constructor() {
    super('No such API key');
  }
}

/** A Messages API request we can't accept as sent (the message says which field and why). */
export class InvalidMessagesRequestError extends DomainError {
  readonly code = 'invalid_request';
}

/** No key, an unknown or revoked one. One answer for every cause: a probe learns nothing. */
export class InvalidApiKeyError extends DomainError {
  readonly code = 'invalid_api_key';
  constructor() {
    super('invalid x-api-key');
  }
}

/** The key's person is suspended or deleted. */
export class ApiKeyAccountInactiveError extends DomainError {
  readonly code = 'account_inactive';
  constructor(status: string) {
    super(`This key's account is ${status}`);
  }
}

/** Temporary: the Messages API checks keys and bodies but forwards nothing until its hold exists. */
export class MessagesNotOpenError extends DomainError {
  readonly code = 'no_llm_key';
  constructor() {
    super('The Messages API is not open yet');
  }
}
