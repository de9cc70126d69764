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
  rate_limited: 'Too many attempts. Wait a minute, then try again.',
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
    const message = PLAIN[code] ?? (typeof body.message === 'string' ? body.message : `The server answered ${res.status}.`);
    throw new ApiError(message, res.status, code, body);
  }
  return data as T;
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A fresh key per user action, so a retried click is applied once (Idempotency-Key). */
export function newIdempotencyKey(): string {
  return crypto.randomUUID();
}

// The API's views (API.md "Types").
export interface PersonView {
  id: string;
  email: string;
  displayName: string;
  role: 'member' | 'admin';
  accountStatus: 'active' | 'suspended' | 'deleted';
  personalEngagementId: string;
  referredBy: string | null;
  createdAt: string;
}

export interface Balance {
  asset: string;
  amount: number;
  held: number;
}

export interface HoldView {
  id: string;
  asset: string;
  amount: number;
  status: 'active' | 'settled' | 'released' | 'expired';
  turnId: string | null;
  expiresAt: string;
  createdAt: string;
}

export interface CreditView {
  balances: Balance[];
  tier: { asset: string; classifierModel: string; responderModel: string } | null;
  holds?: HoldView[];
}

export interface FlowView {
  id: string;
  kind: string;
  asset: string;
  amount: number;
  direction: 'in' | 'out';
  counterparty: string;
  idempotencyKey: string | null;
  metadata: Record<string, unknown> | null;
  createdAt: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface PasskeyView {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
}

export interface GrantView {
  id: string;
  asset: string;
  kind: string;
  amount: number;
  recipientEmail: string;
  status: 'issued' | 'claimed' | 'expired' | 'revoked';
  expiresAt: string;
  issuedBy: string | null;
  referrerPersonId: string | null;
  claimedByPersonId: string | null;
  claimedAt: string | null;
  createdAt: string;
}

export interface Mail {
  status: 'queued' | 'off';
}

export interface IssuedGrant {
  grant: GrantView;
  claimUrl: string;
  mail: Mail;
}

/** What signup/begin, /claim/grant and /auth/recovery/begin have in common. */
export interface SignupStart {
  registrationId: string;
  options: unknown;
  emailVerification?: 'sent' | 'not_required';
  emailHint?: string;
}

export interface TotpSetup {
  registrationId: string;
  totp: { secret: string; otpauthUrl: string; qrSvg?: string };
}

export interface SignedIn {
  person: PersonView;
  sessionToken: string;
  expiresAt: string;
  credit?: { grantId: string; asset: string; amount: number };
}
