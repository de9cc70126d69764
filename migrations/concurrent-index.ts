import type { QueryRunner } from 'typeorm';

/**
 * Indexes a table that may be large without blocking its writes, for a migration declared
 * `transaction = false` (CREATE INDEX CONCURRENTLY can't run in a transaction block). A build that
 * failed part-way leaves an INVALID index behind, which IF NOT EXISTS would keep for ever: it is
 * dropped and built again; a valid one is left as it is, so a retried start does nothing twice.
 * `on`: what follows `ON` in CREATE INDEX (table, columns, INCLUDE, WHERE).
 */
export async function createIndexConcurrently(q: QueryRunner, schema: string, name: string, on: string): Promise<void> {
  const [existing]: { valid: boolean }[] = await q.query(
    `SELECT i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = $2`,
    [schema, name],
  );
  if (existing?.valid) return;
  if (existing) await q.query(`DROP INDEX CONCURRENTLY ${schema}.${name}`);
  await q.query(`CREATE INDEX CONCURRENTLY ${name} ON ${on}`);
}
