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

/** The credit of the payer buys no such model (system config credit_asset_models). */
export class ModelNotBoughtError extends DomainError {
  readonly code = 'model_not_bought';
  constructor(model: string) {
    super(`The credit of this key buys no ${model} calls`);
  }
}

/** The request's proven bound is more than any asset that buys its model holds; max_tokens is never lowered. */
export class RequestNotCoveredError extends DomainError {
  readonly code = 'credit_exhausted';
  constructor(bound: bigint, available: { asset: string; amount: bigint } | null) {
    super(
      `This request may cost up to ${bound} credits (its proven bound: input as sent, output up to max_tokens); ` +
        (available ? `${available.amount} ${available.asset} credits are available` : 'no credit is available'),
    );
  }
}

/** No system LLM key is configured: nothing can be forwarded. */
export class NoSystemKeyError extends DomainError {
  readonly code = 'no_llm_key';
  constructor() {
    super('The Messages API has no provider key configured');
  }
}

/** The provider answered an error of its own (5xx) or none at all; nothing was charged. */
export class ProviderFailedError extends DomainError {
  readonly code = 'llm_error';
  constructor() {
    super('The provider failed to answer; nothing was charged');
  }
}

export class ServiceKeyNotFoundError extends DomainError {
  readonly code = 'service_key_not_found';
  constructor() {
    super('No such service key');
  }
}

/** No service key, an unknown or revoked one: one answer for every cause. */
export class InvalidServiceKeyError extends DomainError {
  readonly code = 'invalid_service_key';
  constructor() {
    super('A live service key (Authorization: Bearer lk_…) is required');
  }
}

export class IdempotencyKeyRequiredError extends DomainError {
  readonly code = 'idempotency_key_required';
  constructor() {
    super('This request needs an Idempotency-Key header');
  }
}
