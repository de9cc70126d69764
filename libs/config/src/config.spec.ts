import { randomBytes } from 'node:crypto';
import { ConfigError, loadConfig, type Env } from './config';

const KEY = randomBytes(32).toString('base64url');
const base: Env = { DATABASE_URL: 'postgres://u:p@localhost:5432/db', LOOMWORKS_SECRET_KEY: KEY };

function errorFor(env: Env): ConfigError {
  try {
    loadConfig({ ...base, ...env });
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('fills defaults from the few required variables', () => {
    const config = loadConfig(base);
    expect(config).toMatchObject({
      port: 3000,
      publicOrigin: 'http://localhost:3000',
      webauthn: { rpId: 'localhost', origins: ['http://localhost:3000'] },
      anthropic: { apiKey: undefined, baseUrl: undefined, timeoutMs: 60_000, maxRetries: 2, maxRetryWaitMs: 2_000 },
      logLevel: 'info',
      mail: { smtpUrl: undefined, from: 'Loomworks <no-reply@localhost>' },
      outbox: { pollMs: 1000, leaseSeconds: 300 },
      metrics: { token: undefined, port: undefined, host: '127.0.0.1', cacheMs: 1000 },
      webhookAllowHttp: false,
    });
  });

  it('reads the metrics settings and the webhook http switch', () => {
    expect(
      loadConfig({ ...base, METRICS_TOKEN: 'scrape-me', METRICS_PORT: '9464', METRICS_HOST: '0.0.0.0', METRICS_CACHE_MS: '0', WEBHOOK_ALLOW_HTTP: 'true' }),
    ).toMatchObject({
      metrics: { token: 'scrape-me', port: 9464, host: '0.0.0.0', cacheMs: 0 },
      webhookAllowHttp: true,
    });
  });

  it('derives the Idempotency-Key pending window from the worst-case turn ((timeout × attempts + retry wait cap × retries) × 2 stages + 30 s)', () => {
    expect(loadConfig(base).idempotencyPendingSeconds).toBe((60 * 3 + 2 * 2) * 2 + 30);
    expect(loadConfig({ ...base, ANTHROPIC_TIMEOUT_MS: '10000', ANTHROPIC_MAX_RETRIES: '0' }).idempotencyPendingSeconds).toBe(10 * 2 + 30);
    expect(loadConfig({ ...base, ANTHROPIC_TIMEOUT_MS: '1000', ANTHROPIC_MAX_RETRIES: '3', ANTHROPIC_MAX_RETRY_WAIT_MS: '500' }).idempotencyPendingSeconds).toBe(
      Math.ceil(((1000 * 4 + 500 * 3) * 2) / 1000) + 30,
    );
    expect(loadConfig({ ...base, IDEMPOTENCY_PENDING_SECONDS: '5' }).idempotencyPendingSeconds).toBe(5);
  });

  it('turns mail on with SMTP_URL and takes MAIL_FROM as given', () => {
    const config = loadConfig({ ...base, SMTP_URL: 'smtp://u:p@mail.example.com:587', MAIL_FROM: 'Ops <ops@example.com>' });
    expect(config.mail).toEqual({ smtpUrl: 'smtp://u:p@mail.example.com:587', from: 'Ops <ops@example.com>' });
  });

  it('derives WebAuthn settings from PUBLIC_ORIGIN and accepts several origins', () => {
    const config = loadConfig({
      ...base,
      PUBLIC_ORIGIN: 'https://credits.example.com',
      WEBAUTHN_ORIGIN: 'https://credits.example.com, https://app.example.com',
      ANTHROPIC_BASE_URL: 'http://127.0.0.1:9999',
      ANTHROPIC_API_KEY: 'sk-test',
    });
    expect(config.webauthn).toEqual({
      rpId: 'credits.example.com',
      origins: ['https://credits.example.com', 'https://app.example.com'],
    });
    expect(config.anthropic).toEqual({ apiKey: 'sk-test', baseUrl: 'http://127.0.0.1:9999', timeoutMs: 60_000, maxRetries: 2, maxRetryWaitMs: 2_000 });
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT', 'must be an integer from 0 to 65535 (got "abc")'],
    [{ PORT: '70000' }, 'PORT', 'must be an integer'],
    [{ DATABASE_URL: undefined }, 'DATABASE_URL', 'is required but not set'],
    [{ DATABASE_URL: 'mysql://x@y/z' }, 'DATABASE_URL', 'must use postgres: or postgresql:'],
    [{ LOOMWORKS_SECRET_KEY: '' }, 'LOOMWORKS_SECRET_KEY', 'is required'],
    [{ LOOMWORKS_SECRET_KEY: 'too-short' }, 'LOOMWORKS_SECRET_KEY', 'must be 32 bytes'],
    [{ PUBLIC_ORIGIN: 'not a url' }, 'PUBLIC_ORIGIN', 'must be a URL'],
    [{ PUBLIC_ORIGIN: 'https://x.com/path' }, 'PUBLIC_ORIGIN', 'without a path'],
    [{ WEBAUTHN_ORIGIN: 'ftp://x.com' }, 'WEBAUTHN_ORIGIN', 'must use http: or https:'],
    [{ WEBAUTHN_RP_ID: 'bad host!' }, 'WEBAUTHN_RP_ID', 'must be a host name'],
    [{ ANTHROPIC_BASE_URL: 'nope' }, 'ANTHROPIC_BASE_URL', 'must be a URL'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL', 'must be one of'],
    [{ SMTP_URL: 'http://mail.example.com' }, 'SMTP_URL', 'must use smtp: or smtps:'],
    [{ MAIL_FROM: 'nobody' }, 'MAIL_FROM', 'must be an address'],
    [{ OUTBOX_POLL_MS: '-1' }, 'OUTBOX_POLL_MS', 'must be an integer'],
    [{ METRICS_PORT: '0' }, 'METRICS_PORT', 'must be an integer from 1 to 65535'],
    [{ METRICS_CACHE_MS: '60001' }, 'METRICS_CACHE_MS', 'must be an integer from 0 to 60000'],
    [{ WEBHOOK_ALLOW_HTTP: 'yes' }, 'WEBHOOK_ALLOW_HTTP', 'must be true or false'],
    [{ DATABASE_URL: 'postgres://u:p@h1:5432,/db' }, 'DATABASE_URL', 'must be a URL'],
    [{ DATABASE_MIGRATION_URL: 'http://owner@db/x' }, 'DATABASE_MIGRATION_URL', 'must use postgres: or postgresql:'],
    [{ DATABASE_REPLICA_URL: 'replica' }, 'DATABASE_REPLICA_URL', 'must be a URL'],
    [{ DATABASE_POOL_MODE: 'statement' }, 'DATABASE_POOL_MODE', 'must be session or transaction'],
  ])('refuses %j naming %s', (env, variable, problem) => {
    const error = errorFor(env);
    expect(error.variable).toBe(variable);
    expect(error.message.startsWith(`${variable} `)).toBe(true);
    expect(error.message).toContain(problem);
  });

  it('takes a multi-host DATABASE_URL, and the same URL for migrations unless DATABASE_MIGRATION_URL is set', () => {
    const multi = 'postgres://api:pw@h1:5432,h2:5433/db';
    expect(loadConfig({ ...base, DATABASE_URL: multi })).toMatchObject({
      databaseUrl: multi,
      databaseMigrationUrl: multi,
      databaseReplicaUrl: undefined,
      databasePoolMode: 'session',
    });
    const split = { DATABASE_MIGRATION_URL: 'postgres://owner:pw@h1/db', DATABASE_REPLICA_URL: 'postgres://api:pw@r1/db', DATABASE_POOL_MODE: 'transaction' };
    expect(loadConfig({ ...base, ...split })).toMatchObject({
      databaseMigrationUrl: split.DATABASE_MIGRATION_URL,
      databaseReplicaUrl: split.DATABASE_REPLICA_URL,
      databasePoolMode: 'transaction',
    });
  });

  it('never echoes credentials of a bad URL', () => {
    expect(errorFor({ DATABASE_URL: 'http//user:hunter2@db' }).message).not.toContain('hunter2');
    expect(errorFor({ SMTP_URL: 'smtp//user:hunter2@mail' }).message).not.toContain('hunter2');
  });

  it('trusts no proxy unless TRUST_PROXY names them', () => {
    expect(loadConfig(base).trustProxy).toBe(false);
    expect(loadConfig({ ...base, TRUST_PROXY: '10.0.0.1, 192.168.0.0/16,loopback,::1' }).trustProxy).toEqual([
      '10.0.0.1',
      '192.168.0.0/16',
      'loopback',
      '::1',
    ]);
  });

  it.each(['true', '10.0.0.0/33', 'proxy.example.com', '10.0.0.1/8/2'])('refuses TRUST_PROXY=%s', (value) => {
    expect(errorFor({ TRUST_PROXY: value }).message).toMatch(/^TRUST_PROXY /);
  });
});
