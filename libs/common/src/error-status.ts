/**
 * The one table from domain error codes (DomainError.code) to HTTP statuses, per API.md. The
 * exception filter answers through it, and `@ApiErrors(...)` documents routes from it, so the
 * OpenAPI document cannot name a status the server would not send.
 * A DomainError whose code is missing here is a bug: it answers 500 and is logged.
 */
const TABLE = {
  validation_failed: 400,
  unknown_setting: 400,
  invalid_setting: 400,
  invalid_email: 400,
  unknown_asset: 400,
  invalid_amount: 400,
  invalid_rate: 400,
  invalid_totp: 400,
  invalid_email_code: 400,
  passkey_not_found: 404,
  last_passkey: 409,
  passkey_exists: 409,
  recovery_not_found: 404,
  recovery_expired: 410,
  passkey_verification_failed: 400,
  login_failed: 401,
  account_suspended: 403,
  invalid_admin_token: 403,
  grant_email_mismatch: 403,
  unauthenticated: 401,
  forbidden: 403,
  csrf_refused: 403,
  person_not_found: 404,
  engagement_not_found: 404,
  grant_not_found: 404,
  registration_not_found: 404,
  not_found: 404,
  email_taken: 409,
  already_member: 409,
  member_not_found: 404,
  last_owner: 409,
  limit_reached: 429,
  invalid_account_transition: 409,
  account_deleted: 409,
  ineligible_email: 409,
  grant_already_claimed: 409,
  grant_expired: 410,
  grant_revoked: 410,
  idempotency_key_reused: 409,
  idempotency_key_in_progress: 409,
  ledger_key_reused: 409,
  conversation_not_found: 404,
  reconciliation_not_found: 404,
  webhook_not_found: 404,
  api_key_not_found: 404,
  // The Messages API's own refusals (answered in Anthropic's error shape there).
  invalid_request: 400,
  invalid_api_key: 401,
  account_inactive: 403,
  model_not_bought: 403,
  credit_exhausted: 402,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  turns_in_flight: 429,
  db_unavailable: 503,
  // A model without a configured rate cannot be charged, so its turns are refused, never free.
  missing_rate: 503,
  no_llm_key: 503,
  llm_error: 502,
} as const;

export type ErrorCode = keyof typeof TABLE;

export const ERROR_STATUS: Readonly<Record<string, number>> = TABLE;
