import type { components } from './api-types.gen';
import { fmtWait } from './format';

// The pages talk to the JSON API on their own origin with the session cookie.

/** An error answer of the API (API.md error shape), or a network failure (status 0). */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** Plain words for the codes whose server message a person would not act on as it stands. */
const PLAIN: Record<string, string> = {
  unauthenticated: 'You are not signed in (or your session ended). Sign in again.',
  forbidden: 'Your account may not do this.',
  login_failed: 'That did not work: check the email address, the passkey and the code from your authenticator app.',
  invalid_totp: 'That code is not valid. Type the 6 digits your authenticator app shows now.',
  db_unavailable: 'The service is briefly unavailable. Try again in a moment.',
  internal_error: 'Something went wrong on our side. Try again; if it keeps failing, tell the staff.',
};

interface Options {
  body?: unknown;
  idempotencyKey?: string;
}

export async function api<T = unknown>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, options: Options = {}): Promise<T> {
  const headers: Record<string, string> = {};
  // Every write says JSON, bodiless ones too: the server refuses cookie-authenticated writes
  // without it (CSRF rule); the browser adds Origin / Sec-Fetch-Site itself.
  if (method !== 'GET') headers['content-type'] = 'application/json';
  if (options.idempotencyKey) headers['idempotency-key'] = options.idempotencyKey;
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers,
      body: options.body === undefined ? (method === 'GET' ? undefined : '') : JSON.stringify(options.body),
    });
  } catch {
    throw new ApiError('The server could not be reached. Check your connection and try again.', 0, 'network_error');
  }
  return answerOf<T>(res);
}

/** A JSON answer's body, or its error (API.md shape) thrown as an ApiError in plain words. */
export async function answerOf<T>(res: Response): Promise<T> {
  const text = res.status === 204 ? '' : await res.text();
  let data: unknown;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null; // not JSON (a proxy's error page): described by the status below
  }
  if (!res.ok) {
    const body = (data ?? {}) as Record<string, unknown>;
    const code = typeof body.error === 'string' ? body.error : 'http_error';
    const message = code === 'rate_limited' ? throttled(res.headers.get('retry-after')) : (PLAIN[code] ?? (typeof body.message === 'string' ? body.message : `The server answered ${res.status}.`));
    throw new ApiError(message, res.status, code, body);
  }
  return data as T;
}

/** A throttle's answer, with the wait the server asks for (Retry-After, in seconds). */
function throttled(retryAfter: string | null): string {
  const seconds = Number(retryAfter);
  return retryAfter && Number.isFinite(seconds) && seconds > 0 ? `Too many attempts. Try again in ${fmtWait(seconds)}.` : 'Too many attempts. Wait a while, then try again.';
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A fresh key per user action, so a retried click is applied once (Idempotency-Key). */
export function newIdempotencyKey(): string {
  return crypto.randomUUID();
}

// The API's views, from the OpenAPI document (api-types.gen.ts, `npm run api:types`): never written twice.
type Schemas = components['schemas'];
export type PersonView = Schemas['PersonViewSchema'];
export type Balance = Schemas['BalanceSchema'];
export type HoldView = Schemas['HoldViewSchema'];
export type CreditView = Schemas['CreditViewSchema'];
export type FlowView = Schemas['FlowViewSchema'];
export type BulkGrantResult = Schemas['BulkGrantResultSchema'];
export type PasskeyView = Schemas['PasskeyViewSchema'];
export type GrantView = Schemas['GrantViewSchema'];
export type Mail = Schemas['MailStatusSchema'];
export type IssuedGrant = Schemas['IssuedGrantSchema'];
export type SignedIn = Schemas['SessionSchema'];
export type TotpSetup = Schemas['PasskeyVerifiedSchema'];
export type PersonCredit = Schemas['PersonCreditSchema'];
export type RecoveryLink = Schemas['RecoveryLinkSchema'];
export type AuditEntry = Schemas['AuditEntrySchema'];
export type Rate = Schemas['RateSchema'];
export type Setting = Schemas['SettingSchema'];
export type LedgerVerification = Schemas['LedgerVerificationSchema'];
export type ReconciliationRun = Schemas['ReconciliationRunSchema'];
export type Eligibility = Schemas['EligibilitySchema'];
export type Webhook = Schemas['ListedWebhookSchema'];
export type CreatedWebhook = Schemas['CreatedWebhookSchema'];
export type Delivery = Schemas['DeliverySchema'];
export type MailLogItem = Schemas['MailLogItemSchema'];
export type EventItem = Schemas['EventSchema'];
export type LoginStarted = Schemas['LoginStartedSchema'];
export type PasskeyBegin = Schemas['PasskeyBeginSchema'];
export type ClaimResult = Schemas['ClaimResultSchema'];
export type ClaimStarted = Schemas['ClaimStartedSchema'];
export type RecoveryStarted = Schemas['RecoveryStartedSchema'];
export type LlmKeyStatus = Schemas['LlmKeyStatusSchema'];
export type MailLogPage = Schemas['MailLogPageSchema'];
export type ApiKeyView = Schemas['ApiKeyViewSchema'];
export type CreatedApiKey = Schemas['CreatedApiKeySchema'];
export type Engagement = Schemas['EngagementSchema'];
export type LlmCallView = Schemas['LlmCallViewSchema'];
export type UsageGroup = Schemas['UsageGroupSchema'];
export type ServiceKeyView = Schemas['ServiceKeyViewSchema'];
export type CreatedServiceKey = Schemas['CreatedServiceKeySchema'];
export type MemberView = Schemas['MemberViewSchema'];
export type PoolCredit = Schemas['PoolCreditSchema'];
export type Limit = Schemas['LimitSchema'];
export type SelfLimit = Schemas['MeLimitSchema'];
export type StaffLimit = Schemas['StaffLimitSchema'];
export type StaffLlmCallView = Schemas['StaffLlmCallViewSchema'];
export type RefundResult = Schemas['RefundSchema'];

/** API.md: every list is `{items, nextCursor}`. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** What signup/begin, /claim/grant and /auth/recovery/begin have in common. */
export type SignupStart = Pick<Schemas['SignupStartedSchema'], 'registrationId' | 'options'> & Partial<Pick<Schemas['SignupStartedSchema'], 'emailVerification'>> & { emailHint?: string };
