import { readdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import pg from 'pg';

export default async function globalTeardown() {
  const client = new pg.Client({ connectionString: process.env.LW_TEST_ADMIN_URL });
  try {
    await client.connect();
    const { rows } = await client.query('SELECT datname FROM pg_database WHERE datname LIKE $1', [
      `lwt_${process.env.LW_TEST_RUN_ID}%`,
    ]);
    for (const { datname } of rows) await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  } finally {
    await client.end();
    const embedded = globalThis.__loomworksEmbeddedPostgres;
    if (embedded) {
      await embedded.stop();
      removeUnusedHome(dirname(embedded.dataDir));
    }
  }
}

/**
 * The throwaway cluster is gone; what stays in the cluster folder is the copy of the Postgres
 * binaries (~60 MB as root, see scripts/embedded-pg.mjs). When nothing else lives there — no
 * `npm start` cluster or dev key, no other test run's cluster — the folder goes too, so a clone
 * that only ran the tests leaves nothing behind.
 */
function removeUnusedHome(home) {
  let entries;
  try {
    entries = readdirSync(home);
  } catch {
    return;
  }
  if (entries.every((name) => name.startsWith('runtime-'))) rmSync(home, { recursive: true, force: true });
}
