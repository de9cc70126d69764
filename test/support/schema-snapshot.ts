import type { DataSource } from 'typeorm';

/** Every user-visible schema object, as sorted text lines, so two states of a database compare. */
export async function schemaSnapshot(dataSource: DataSource): Promise<string[]> {
  const queries = [
    `SELECT 'schema ' || nspname FROM pg_namespace
      WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND nspname NOT LIKE 'pg_temp%' AND nspname NOT LIKE 'pg_toast_temp%'`,
    `SELECT format('column %s.%s.%s %s null=%s default=%s', table_schema, table_name, column_name, data_type, is_nullable, column_default)
       FROM information_schema.columns
      WHERE table_schema NOT IN ('pg_catalog', 'information_schema') AND table_name <> 'migrations'`,
    `SELECT format('constraint %s %s %s', conrelid::regclass, conname, pg_get_constraintdef(oid))
       FROM pg_constraint WHERE connamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)
        AND conrelid <> 'migrations'::regclass`,
    `SELECT format('index %s', indexdef) FROM pg_indexes
      WHERE schemaname NOT IN ('pg_catalog', 'information_schema') AND tablename <> 'migrations'`,
    `SELECT format('trigger %s %s', tgrelid::regclass, pg_get_triggerdef(oid)) FROM pg_trigger WHERE NOT tgisinternal`,
    `SELECT format('function %s', pg_get_functiondef(p.oid)) FROM pg_proc p
       JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')`,
    `SELECT format('rule %s %s', tablename, definition) FROM pg_rules WHERE schemaname NOT IN ('pg_catalog')`,
  ];
  const lines: string[] = [];
  for (const sql of queries) {
    const rows: Record<string, string>[] = await dataSource.query(sql);
    lines.push(...rows.map((row) => Object.values(row)[0]));
  }
  return lines.sort();
}
