// Runs a command with a database: DATABASE_URL when given, else an embedded PostgreSQL whose data,
// and a dev secret key generated once beside it, live in the project's cluster folder
// (scripts/embedded-pg.mjs: the git-ignored `.data/`, or as root /var/lib/loomworks/<project>-<id>).
// Usage: node scripts/with-db.mjs <command> [args...]   (or `--reset`: delete that folder)
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { asRuntimeRole, embeddedPgHome, embeddedUrl, ensureRuntimeRole, startEmbeddedPostgres } from './embedded-pg.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [command, ...args] = process.argv.slice(2);
if (!command) {
  console.error('usage: node scripts/with-db.mjs <command> [args...]');
  process.exit(2);
}

/** Kept beside the cluster: deleting the folder resets both, never one without the other. */
function devSecretKey(home) {
  const file = join(home, 'dev-secret.key');
  if (!existsSync(file)) {
    mkdirSync(home, { recursive: true });
    writeFileSync(file, randomBytes(32).toString('base64url') + '\n', { mode: 0o600 });
    console.error(`loomworks: generated a dev LOOMWORKS_SECRET_KEY in ${file}`);
  }
  return readFileSync(file, 'utf8').trim();
}

/** The port of the embedded cluster when another command (e.g. `npm start`) is running it. */
function runningClusterPort(dataDir) {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return null;
  const [pid, , , port] = readFileSync(pidFile, 'utf8').split('\n');
  try {
    process.kill(Number(pid), 0);
    return Number(port);
  } catch {
    return null; // a stale file from a crash; Postgres cleans it up on start
  }
}

if (command === '--reset') {
  const home = embeddedPgHome(root);
  if (runningClusterPort(join(home, 'pg'))) {
    console.error('loomworks: the embedded PostgreSQL is running (npm start?); stop it first');
    process.exit(1);
  }
  rmSync(home, { recursive: true, force: true });
  console.error(`loomworks: removed ${home}; the next start creates a fresh database and dev key`);
  process.exit(0);
}

const env = { ...process.env };
let embedded;
if (!env.DATABASE_URL) {
  const home = embeddedPgHome(root);
  const dataDir = join(home, 'pg');
  const port = runningClusterPort(dataDir);
  if (port) {
    env.DATABASE_URL = embeddedUrl(port, 'postgres');
  } else {
    const fresh = !existsSync(join(dataDir, 'PG_VERSION'));
    console.error(`loomworks: no DATABASE_URL, ${fresh ? 'creating' : 'starting'} embedded PostgreSQL in ${dataDir}`);
    try {
      embedded = await startEmbeddedPostgres({ home, name: 'pg', persistent: true });
    } catch (error) {
      console.error(error.message);
      process.exit(1);
    }
    env.DATABASE_URL = embedded.url('postgres');
  }
  // Least privilege on the embedded cluster too: the superuser migrates, the API runs as the runtime role.
  await ensureRuntimeRole(env.DATABASE_URL);
  env.DATABASE_MIGRATION_URL = env.DATABASE_URL;
  env.DATABASE_URL = asRuntimeRole(env.DATABASE_URL);
  env.LOOMWORKS_SECRET_KEY ??= devSecretKey(home);
}

const child = spawn(command, args, { stdio: 'inherit', env, shell: false, cwd: root });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', async (code, signal) => {
  if (embedded) await embedded.stop();
  process.exit(code ?? (signal ? 1 : 0));
});
