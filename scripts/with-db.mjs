// Runs a command with a database: DATABASE_URL when given, else an embedded PostgreSQL whose data
// (and a generated dev secret key) live in the project-local, git-ignored `.data/` folder.
// Usage: node scripts/with-db.mjs <command> [args...]
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { embeddedUrl, startEmbeddedPostgres } from './embedded-pg.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dataRoot = join(root, '.data');
const [command, ...args] = process.argv.slice(2);
if (!command) {
  console.error('usage: node scripts/with-db.mjs <command> [args...]');
  process.exit(2);
}

function devSecretKey() {
  const file = join(dataRoot, 'dev-secret.key');
  if (!existsSync(file)) {
    mkdirSync(dataRoot, { recursive: true });
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

const env = { ...process.env };
let embedded;
if (!env.DATABASE_URL) {
  const dataDir = join(dataRoot, 'pg');
  const port = runningClusterPort(dataDir);
  if (port) {
    env.DATABASE_URL = embeddedUrl(port, 'postgres');
  } else {
    console.error('loomworks: no DATABASE_URL, starting embedded PostgreSQL in .data/pg');
    embedded = await startEmbeddedPostgres({ dataDir, persistent: true });
    env.DATABASE_URL = embedded.url('postgres');
  }
  env.LOOMWORKS_SECRET_KEY ??= devSecretKey();
}

const child = spawn(command, args, { stdio: 'inherit', env, shell: false, cwd: root });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', async (code, signal) => {
  if (embedded) await embedded.stop();
  process.exit(code ?? (signal ? 1 : 0));
});
