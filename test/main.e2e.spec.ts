import { createTestDatabase, type TestDatabase } from './support/test-database';
import { spawnServer, waitForListening } from './support/server-process';

// Each test starts a Node process that compiles the app's TypeScript as it loads: on the shared,
// loaded 2-core machine that alone can take longer than jest's default 30 s.
jest.setTimeout(120_000);

describe('the server process', () => {
  let db: TestDatabase;
  const secret = process.env.LOOMWORKS_SECRET_KEY!;

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it.each([
    [{ PORT: 'eighty' }, 'loomworks: invalid configuration: PORT must be an integer from 0 to 65535 (got "eighty")'],
    [{ DATABASE_URL: '' }, 'loomworks: invalid configuration: DATABASE_URL is required but not set'],
    [{ LOOMWORKS_SECRET_KEY: 'abc' }, 'loomworks: invalid configuration: LOOMWORKS_SECRET_KEY must be 32 bytes in url-safe base64 (a Fernet key)'],
  ])('stops on bad configuration %j with one line naming the variable', async (bad, line) => {
    const server = spawnServer({ DATABASE_URL: db.url, LOOMWORKS_SECRET_KEY: secret, ...bad });
    expect(await server.exited).toEqual({ code: 1, signal: null });
    expect(server.stderr()).toBe(`${line}\n`);
    expect(server.stdout()).toBe('');
  });

  it('prints a working one-time admin token from the first-admin command', async () => {
    const cli = spawnServer({ DATABASE_URL: db.url, LOOMWORKS_SECRET_KEY: secret }, 'apps/api/src/cli/admin-bootstrap.ts');
    expect(await cli.exited).toEqual({ code: 0, signal: null });
    const token = /^\s+([A-Za-z0-9_-]{43})$/m.exec(cli.stdout())?.[1];
    expect(token).toBeDefined();
    const [row] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM admin_signup_tokens WHERE used_at IS NULL AND token_hash = sha256($1::bytea)', [Buffer.from(token!)]);
    expect(row).toEqual({ n: 1 });
  });

  it('says at start, one line each, where it listens, its docs, its database and mail; a taken port is one line too', async () => {
    const server = spawnServer({ DATABASE_URL: db.url, LOOMWORKS_SECRET_KEY: secret, PORT: '0' });
    try {
      const port = await waitForListening(server);
      // The database line never shows a password (the embedded cluster's URL has one; a trust-auth
      // DATABASE_URL may not).
      const { password } = new URL(db.url);
      const shownUrl = password ? db.url.replace(`:${password}@`, ':***@') : db.url;
      expect(server.stdout().split('\n').filter((line) => line.startsWith('loomworks: '))).toEqual([
        `loomworks: listening on http://localhost:${port}`,
        `loomworks: API docs at http://localhost:${port}/docs`,
        `loomworks: database ${shownUrl}`,
        // One URL for both: the role that owns the tables also runs the API (no least privilege).
        `loomworks: database role ${new URL(db.url).username} runs both the API and its migrations`,
        'loomworks: mail off (no SMTP_URL): claim and recovery links are shown instead of mailed',
        `loomworks: no admin yet: in another terminal run \`PORT=${port} npm run admin:bootstrap\` and open the signup link it prints`,
      ]);
      // Nest's route mapping is debug-level now, not forty info lines around those.
      expect(server.stdout()).not.toContain('Mapped {');

      const second = spawnServer({ DATABASE_URL: db.url, LOOMWORKS_SECRET_KEY: secret, PORT: String(port) });
      expect(await second.exited).toEqual({ code: 1, signal: null });
      expect(second.stderr()).toBe(`loomworks: port ${port} is already in use (is another server running?): stop it, or start with PORT=<another port>\n`);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });

  it('starts as the runtime role (migrating as the owner), serves, and shuts down cleanly on SIGTERM', async () => {
    const server = spawnServer({ DATABASE_URL: db.runtimeUrl, DATABASE_MIGRATION_URL: db.url, LOOMWORKS_SECRET_KEY: secret, PORT: '0', LOG_LEVEL: 'warn' });
    const port = await waitForListening(server);
    expect(server.stdout()).not.toContain('runs both the API and its migrations');
    const health = await fetch(`http://127.0.0.1:${port}/health`);
    expect(await health.json()).toEqual({ status: 'ok', db: 'up' });
    server.child.kill('SIGTERM');
    expect(await server.exited).toEqual({ code: 0, signal: null });
    // Every connection of the pool was closed, not abandoned.
    const open = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'loomworks'",
    );
    expect(open).toEqual([{ n: 0 }]);
  });
});
