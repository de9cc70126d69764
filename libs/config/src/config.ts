import { isIP } from 'node:net';

/**
 * The one place environment variables are read. `loadConfig` validates every variable and returns
 * a typed object; a bad value throws a ConfigError whose message names the variable, which main.ts
 * prints as a single line.
 */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export interface RateLimitConfig {
  /** failed attempts allowed per window for one account */
  maxFailures: number;
  /** failed attempts allowed per window from one client address (across accounts) */
  maxFailuresPerAddress: number;
  /** signups, logins and claims one client address may start per minute (each writes a row) */
  startsPerAddressPerMinute: number;
  windowSeconds: number;
}

/**
 * The LLM client's settings, and so every wait a provider call can take (see worstCaseCallMs):
 * each attempt is cut off after `timeoutMs` (the whole answer, a stream included), at most
 * `maxRetries` retries follow, and the pause before each is the provider's Retry-After or the
 * client's back-off, never more than `maxRetryWaitMs`.
 */
export interface AnthropicConfig {
  apiKey?: string;
  baseUrl?: string;
  timeoutMs: number;
  maxRetries: number;
  maxRetryWaitMs: number;
}

export interface AppConfig {
  port: number;
  host: string;
  /**
   * The API's connection, as its runtime role (reads and inserts ledger rows, never updates them).
   * May name several hosts (`postgres://u:p@h1:5432,h2:5432/db`): the app uses the one that accepts writes.
   */
  databaseUrl: string;
  /** Migrations and function files run as the tables' owner; the same as databaseUrl when one role does both. */
  databaseMigrationUrl: string;
  /** a streaming replica for reads that tolerate lag (history, exports, usage, admin lists, gauges) */
  databaseReplicaUrl?: string;
  /** `transaction` behind a pooler in transaction mode (PgBouncer): no session state, no named prepared statements */
  databasePoolMode: DatabasePoolMode;
  /** Fernet key (32 bytes, url-safe base64) for system_config and stored secrets */
  secretKey: string;
  publicOrigin: string;
  webauthn: { rpId: string; origins: string[] };
  anthropic: AnthropicConfig;
  logLevel: LogLevel;
  loginRateLimit: RateLimitConfig;
  /**
   * how long an unfinished Idempotency-Key claim blocks retries before they may take it over;
   * by default the worst-case turn (see worstCaseTurnSeconds), so a live request is never cut off
   */
  idempotencyPendingSeconds: number;
  /** outgoing mail; `smtpUrl` absent = mail is off (nothing is queued, the API returns the URLs) */
  mail: { smtpUrl?: string; from: string };
  /** how often this instance asks the database which scheduled jobs are due (0 = never: tests run them by hand) */
  schedulerTickMs: number;
  /** the outbox worker: how often it polls (0 = this instance runs no worker) and how long a claim lasts */
  outbox: { pollMs: number; leaseSeconds: number };
  /** reverse proxies whose X-Forwarded-For is believed (addresses, CIDRs or proxy-addr names); false: the socket's address */
  trustProxy: string[] | false;
  /**
   * /metrics: the bearer token it requires on the API's port (unset: it answers there only to
   * loopback clients that came through no proxy); a separate port (and its address, loopback by
   * default) that answers it without a token; how long a scrape is reused
   */
  metrics: { token?: string; port?: number; host: string; cacheMs: number };
  /** also accept http:// and loopback or private hosts as webhook endpoints (local receivers, tests) */
  webhookAllowHttp: boolean;
}

export type DatabasePoolMode = 'session' | 'transaction';
const POOL_MODES: readonly DatabasePoolMode[] = ['session', 'transaction'];

export type Env = Record<string, string | undefined>;

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

function present(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === '' ? undefined : value;
}

function required(env: Env, name: string): string {
  const value = present(env, name);
  if (value === undefined) throw new ConfigError(name, 'is required but not set');
  return value;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = present(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new ConfigError(name, `must be an integer from ${min} to ${max} (got "${raw}")`);
  }
  return Number(raw);
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = present(env, name);
  if (raw === undefined) return fallback;
  if (raw !== 'true' && raw !== 'false') throw new ConfigError(name, `must be true or false (got "${raw}")`);
  return raw === 'true';
}

function url(name: string, raw: string, protocols: string[]): string {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, `must be a URL (got "${redactUrl(raw)}")`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `must use ${protocols.join(' or ')} (got "${parsed.protocol}")`);
  }
  return raw;
}

/**
 * A Postgres URL, which may list several hosts as libpq does (`h1:5432,h2:5432`); WHATWG URL
 * rejects that form, so it is checked with the first host in place of the list.
 */
function databaseUrl(name: string, raw: string): string {
  const hosts = /^[a-z]+:\/\/(?:[^@/]*@)?([^/?#]*)/i.exec(raw)?.[1] ?? '';
  if (!hosts.includes(',')) return url(name, raw, ['postgres:', 'postgresql:']);
  if (hosts.split(',').some((host) => host === '')) throw new ConfigError(name, `must be a URL (got "${redactUrl(raw)}")`);
  url(name, raw.replace(hosts, hosts.split(',')[0]), ['postgres:', 'postgresql:']);
  return raw;
}

/** Never echo credentials embedded in a URL back into an error line. */
function redactUrl(raw: string): string {
  return raw.replace(/\/\/[^@/]*@/, '//***@');
}

function origin(name: string, raw: string): string {
  const parsed = new URL(url(name, raw, ['http:', 'https:']));
  if (parsed.pathname !== '/' || parsed.search || parsed.hash) {
    throw new ConfigError(name, `must be an origin like https://example.com, without a path (got "${raw}")`);
  }
  return parsed.origin;
}

export function secretKeyFromEnv(env: Env): string {
  const key = required(env, 'LOOMWORKS_SECRET_KEY');
  const bytes = /^[A-Za-z0-9_-]+={0,2}$/.test(key) ? Buffer.from(key, 'base64url') : Buffer.alloc(0);
  if (bytes.length !== 32) {
    throw new ConfigError('LOOMWORKS_SECRET_KEY', 'must be 32 bytes in url-safe base64 (a Fernet key)');
  }
  return key;
}

/** Stages of a turn that call the LLM (classify, respond). */
const LLM_STAGES = 2;
/** The turn's own work besides the LLM calls (its reads, the hold, the recording transaction), generously. */
const TURN_MARGIN_SECONDS = 30;

type CallLimits = Pick<AnthropicConfig, 'timeoutMs' | 'maxRetries' | 'maxRetryWaitMs'>;

/** The longest one provider call can take with these client settings: every attempt timed out, every pause at its cap. */
export function worstCaseCallMs(anthropic: CallLimits): number {
  return anthropic.timeoutMs * (anthropic.maxRetries + 1) + anthropic.maxRetryWaitMs * anthropic.maxRetries;
}

/**
 * The longest a turn can take: its stages' worst-case calls plus a margin. A hold must outlive
 * it (hold_ttl_seconds is refused below it) and so must an idempotency claim (the pending window).
 */
export function worstCaseTurnSeconds(anthropic: CallLimits): number {
  return Math.ceil((worstCaseCallMs(anthropic) * LLM_STAGES) / 1000) + TURN_MARGIN_SECONDS;
}

const PROXY_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/** TRUST_PROXY: comma-separated addresses, CIDR ranges or proxy-addr's names; unset trusts none. */
function trustedProxies(env: Env): string[] | false {
  const raw = present(env, 'TRUST_PROXY');
  if (raw === undefined) return false;
  const entries = raw.split(',').map((e) => e.trim()).filter((e) => e !== '');
  for (const entry of entries) {
    const [address, bits, extra] = entry.split('/');
    const maxBits = isIP(address) === 6 ? 128 : 32;
    const valid =
      PROXY_NAMES.includes(entry) ||
      (isIP(address) !== 0 && extra === undefined && (bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= maxBits)));
    if (!valid) throw new ConfigError('TRUST_PROXY', `must list proxy addresses, CIDR ranges or ${PROXY_NAMES.join('/')} (got "${entry}")`);
  }
  return entries.length > 0 ? entries : false;
}

function databaseConfig(env: Env): Pick<AppConfig, 'databaseUrl' | 'databaseMigrationUrl' | 'databaseReplicaUrl' | 'databasePoolMode'> {
  const databaseUrlValue = databaseUrl('DATABASE_URL', required(env, 'DATABASE_URL'));
  const migration = present(env, 'DATABASE_MIGRATION_URL');
  const replica = present(env, 'DATABASE_REPLICA_URL');
  const poolMode = (present(env, 'DATABASE_POOL_MODE') ?? 'session') as DatabasePoolMode;
  if (!POOL_MODES.includes(poolMode)) throw new ConfigError('DATABASE_POOL_MODE', `must be session or transaction (got "${poolMode}")`);
  return {
    databaseUrl: databaseUrlValue,
    databaseMigrationUrl: migration === undefined ? databaseUrlValue : databaseUrl('DATABASE_MIGRATION_URL', migration),
    databaseReplicaUrl: replica === undefined ? undefined : databaseUrl('DATABASE_REPLICA_URL', replica),
    databasePoolMode: poolMode,
  };
}

export function loadConfig(env: Env): AppConfig {
  const port = integer(env, 'PORT', 3000, 0, 65535);
  const publicOrigin = origin('PUBLIC_ORIGIN', present(env, 'PUBLIC_ORIGIN') ?? `http://localhost:${port}`);
  const rpId = present(env, 'WEBAUTHN_RP_ID') ?? new URL(publicOrigin).hostname;
  if (!/^[a-z0-9.-]+$/i.test(rpId)) throw new ConfigError('WEBAUTHN_RP_ID', `must be a host name (got "${rpId}")`);
  const origins = (present(env, 'WEBAUTHN_ORIGIN') ?? publicOrigin)
    .split(',')
    .map((o) => origin('WEBAUTHN_ORIGIN', o.trim()));
  const baseUrl = present(env, 'ANTHROPIC_BASE_URL');
  const smtpUrl = present(env, 'SMTP_URL');
  const mailFrom = present(env, 'MAIL_FROM') ?? `Loomworks <no-reply@${new URL(publicOrigin).hostname}>`;
  if (!/^[^\r\n]*@[^\r\n]+$/.test(mailFrom)) throw new ConfigError('MAIL_FROM', 'must be an address like "Name <me@example.com>"');
  const logLevel = (present(env, 'LOG_LEVEL') ?? 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')} (got "${logLevel}")`);
  }
  const anthropic = {
    apiKey: present(env, 'ANTHROPIC_API_KEY'),
    baseUrl: baseUrl === undefined ? undefined : url('ANTHROPIC_BASE_URL', baseUrl, ['http:', 'https:']),
    timeoutMs: integer(env, 'ANTHROPIC_TIMEOUT_MS', 60_000, 100, 600_000),
    maxRetries: integer(env, 'ANTHROPIC_MAX_RETRIES', 2, 0, 10),
    maxRetryWaitMs: integer(env, 'ANTHROPIC_MAX_RETRY_WAIT_MS', 2_000, 0, 60_000),
  };
  return {
    port,
    host: present(env, 'HOST') ?? '0.0.0.0',
    ...databaseConfig(env),
    secretKey: secretKeyFromEnv(env),
    publicOrigin,
    webauthn: { rpId, origins },
    anthropic,
    logLevel,
    idempotencyPendingSeconds: integer(env, 'IDEMPOTENCY_PENDING_SECONDS', worstCaseTurnSeconds(anthropic), 1, 86_400),
    mail: { smtpUrl: smtpUrl === undefined ? undefined : url('SMTP_URL', smtpUrl, ['smtp:', 'smtps:']), from: mailFrom },
    schedulerTickMs: integer(env, 'SCHEDULER_TICK_MS', 1000, 0, 60_000),
    outbox: {
      pollMs: integer(env, 'OUTBOX_POLL_MS', 1000, 0, 3_600_000),
      leaseSeconds: integer(env, 'OUTBOX_LEASE_SECONDS', 300, 1, 86_400),
    },
    trustProxy: trustedProxies(env),
    metrics: {
      token: present(env, 'METRICS_TOKEN'),
      port: present(env, 'METRICS_PORT') === undefined ? undefined : integer(env, 'METRICS_PORT', 0, 1, 65535),
      host: present(env, 'METRICS_HOST') ?? '127.0.0.1',
      cacheMs: integer(env, 'METRICS_CACHE_MS', 1000, 0, 60_000),
    },
    webhookAllowHttp: boolean(env, 'WEBHOOK_ALLOW_HTTP', false),
    loginRateLimit: {
      maxFailures: integer(env, 'LOGIN_MAX_FAILURES', 5, 1, 1_000_000),
      maxFailuresPerAddress: integer(env, 'LOGIN_MAX_FAILURES_PER_ADDRESS', 50, 1, 1_000_000),
      startsPerAddressPerMinute: integer(env, 'AUTH_STARTS_PER_MINUTE', 30, 1, 1_000_000),
      windowSeconds: integer(env, 'LOGIN_FAILURE_WINDOW_SECONDS', 900, 1, 86_400),
    },
  };
}
