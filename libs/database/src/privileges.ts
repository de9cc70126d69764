import type { DataSource } from 'typeorm';

/** What the API's role may do to ordinary tables; append-only ones lose UPDATE and DELETE. */
const TABLE_PRIVILEGES = 'SELECT, INSERT, UPDATE, DELETE';

/**
 * Least privilege for the API's runtime role, run by the owner after every migration step:
 * - the runtime role gets SELECT/INSERT/UPDATE/DELETE on every table of the owner's schemas,
 *   never TRUNCATE, and owns nothing, so it can't ALTER a table or disable a trigger;
 * - on an append-only table — one that carries a trigger named `*_append_only`, like
 *   credit.flows — it keeps only SELECT and INSERT;
 * - ALTER DEFAULT PRIVILEGES gives it the same on tables, sequences and schemas the owner creates
 *   later, so a new migration's tables work without their own GRANTs (an append-only one is
 *   narrowed here on the next start, which is the same start that applies the migration).
 * Idempotent; runs under the migration lock (concurrent GRANTs on one object fail in Postgres).
 */
export async function grantRuntimePrivileges(owner: DataSource, runtimeRole: string): Promise<void> {
  const role = quoteIdent(runtimeRole);
  const schemas: { name: string }[] = await owner.query(
    `SELECT quote_ident(nspname) AS name FROM pg_namespace
      WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'
        AND (nspowner = current_user::regrole OR nspname = 'public')`,
  );
  for (const { name } of schemas) {
    await owner.query(`GRANT USAGE ON SCHEMA ${name} TO ${role}`);
    await owner.query(`GRANT ${TABLE_PRIVILEGES} ON ALL TABLES IN SCHEMA ${name} TO ${role}`);
    await owner.query(`GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA ${name} TO ${role}`);
    await owner.query(`GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA ${name} TO ${role}`);
  }
  await owner.query(`ALTER DEFAULT PRIVILEGES GRANT USAGE ON SCHEMAS TO ${role}`);
  await owner.query(`ALTER DEFAULT PRIVILEGES GRANT ${TABLE_PRIVILEGES} ON TABLES TO ${role}`);
  await owner.query(`ALTER DEFAULT PRIVILEGES GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO ${role}`);
  const appendOnly: { name: string }[] = await owner.query(
    `SELECT DISTINCT format('%I.%I', n.nspname, c.relname) AS name
       FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE NOT t.tgisinternal AND t.tgname LIKE '%\\_append\\_only'`,
  );
  for (const { name } of appendOnly) await owner.query(`REVOKE UPDATE, DELETE, TRUNCATE ON ${name} FROM ${role}`);
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
