import { Client } from 'pg';
import type { TestDatabase } from './test-database';

/**
 * Another transaction holding a person's row (FOR NO KEY UPDATE, the lock every ledger write for
 * the person takes first), as a parallel request of theirs does, until `release()`: the app's
 * statements for that person queue on it meanwhile.
 */
export async function lockPerson(db: TestDatabase, personId: string): Promise<{ release(): Promise<void> }> {
  const client = new Client({ connectionString: db.url });
  client.on('error', () => undefined);
  await client.connect();
  await client.query('BEGIN');
  await client.query('SELECT 1 FROM persons WHERE id = $1 FOR NO KEY UPDATE', [personId]);
  return {
    release: async () => {
      await client.query('COMMIT');
      await client.end();
    },
  };
}

/** How many backends wait on a lock while running SQL that calls `fn(` (requests queued behind a holder). */
export async function waitingIn(db: TestDatabase, fn: string): Promise<number> {
  const [{ n }] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE $1`, [`%${fn}(%`]);
  return n;
}
