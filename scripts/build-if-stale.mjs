// Builds (npm run build) only when what the build reads changed since the last build: `npm start`,
// `admin:bootstrap` and `migration:*` run this first, so a second start costs milliseconds instead
// of a full TypeScript compile, and an edited source is never served stale.
// The stamp is written after a successful build; a failed build leaves none, so the next start retries.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const STAMP = join(root, 'dist', '.build-stamp');

/** What `npm run build` reads: the server's and the pages' sources, their configs and the lockfile. */
const INPUTS = ['apps', 'libs', 'migrations', 'ormconfig.ts', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json', 'scripts/build-web.mjs'];

/** The newest modification time under `path` (a file or a folder), unit tests aside. */
function newest(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return path.endsWith('.spec.ts') ? 0 : stat.mtimeMs;
  let latest = stat.mtimeMs; // a deleted file shows as its folder's change
  for (const entry of readdirSync(path)) latest = Math.max(latest, newest(join(path, entry)));
  return latest;
}

export function isStale() {
  if (!existsSync(STAMP) || !existsSync(join(root, 'dist', 'web'))) return true;
  const built = statSync(STAMP).mtimeMs;
  return INPUTS.some((input) => newest(join(root, input)) > built);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (isStale()) {
    process.stderr.write('loomworks: building (first run, or the sources changed since the last build)…\n');
    const started = Date.now();
    const build = spawnSync('npm', ['run', '-s', 'build'], { cwd: root, stdio: 'inherit' });
    if (build.status !== 0) process.exit(build.status ?? 1);
    // Dated at the build's start: a source saved while it ran counts as changed next time.
    writeFileSync(STAMP, `${new Date(started).toISOString()}\n`);
    utimesSync(STAMP, started / 1000, started / 1000);
    process.stderr.write(`loomworks: built in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  }
}
