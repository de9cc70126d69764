// Once per jest run: a PostgreSQL server (DATABASE_URL when given, else a throwaway embedded one in
// the project's cluster folder, see scripts/embedded-pg.mjs) and a secret key. Test files each clone their own database from a template
// migrated once (test/support/test-database.ts).
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildWeb } from '../../scripts/build-web.mjs';
import { RUNTIME_ROLE, embeddedPgHome, ensureRuntimeRole, startEmbeddedPostgres } from '../../scripts/embedded-pg.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export default async function globalSetup() {
  // The pages are served from dist/web (esbuild, well under a second): fresh for every run.
  await buildWeb();
  const runId = `${Date.now().toString(36)}${process.pid.toString(36)}`;
  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    const embedded = await startEmbeddedPostgres({ home: embeddedPgHome(root), name: `test-pg-${runId}`, persistent: false });
    globalThis.__loomworksEmbeddedPostgres = embedded;
    adminUrl = embedded.url('postgres');
  }
  // The apps under test run as the runtime role (least privilege), migrated by the admin.
  await ensureRuntimeRole(adminUrl);
  // Workers are forked after this, so they inherit these.
  process.env.LW_TEST_ADMIN_URL = adminUrl;
  process.env.LW_TEST_RUNTIME_ROLE = RUNTIME_ROLE;
  process.env.LW_TEST_RUN_ID = runId;
  process.env.LOOMWORKS_SECRET_KEY ??= randomBytes(32).toString('base64url');
}
