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
    await globalThis.__loomworksEmbeddedPostgres?.stop();
  }
}
