import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { QueryRunner } from 'typeorm';

/**
 * SQL functions kept as files, one function per file (DESIGN.md "Where the money rules live"),
 * applied after the migrations like Flyway's repeatable migrations: a file runs again only when
 * its content changed (its SHA-256 is kept in `function_files`), all changed files in one
 * transaction, so a start either installs every new definition or none.
 *
 * A file is `<name>.sql` and defines exactly `CREATE OR REPLACE FUNCTION <schema>.<name>(…)`.
 * When a new definition can't replace the old one in place (another return type or parameter
 * name) the old one is dropped first; when its argument types changed, the old overload is
 * dropped after, so the database always holds exactly one function per file.
 */
export interface FunctionFile {
  /** file name, e.g. place_hold.sql: the key of its checksum row */
  file: string;
  /** schema-qualified function name, e.g. credit.place_hold */
  name: string;
  sql: string;
  checksum: string;
  /** the function body as written between the first and the last `$$` (what pg_proc.prosrc holds) */
  body: string;
}

const DEFINITION = /^\s*CREATE\s+OR\s+REPLACE\s+FUNCTION\s+([a-z_][a-z0-9_]*)\.([a-z_][a-z0-9_]*)\s*\(/im;
/** Postgres: "cannot change return type of existing function", "cannot change name of input parameter" … */
const INVALID_FUNCTION_DEFINITION = '42P13';

/** The function files of `dirs`, in file-name order per directory; a malformed file throws. */
export function readFunctionFiles(dirs: readonly string[]): FunctionFile[] {
  const files: FunctionFile[] = [];
  for (const dir of dirs) {
    for (const entry of readdirSync(dir).filter((f) => f.endsWith('.sql')).sort()) {
      const sql = readFileSync(join(dir, entry), 'utf8');
      const match = DEFINITION.exec(sql);
      const stem = basename(entry, '.sql');
      if (!match || match[2] !== stem || (sql.match(/CREATE\s+OR\s+REPLACE\s+FUNCTION/gi) ?? []).length !== 1) {
        throw new Error(`${entry}: a function file defines exactly one CREATE OR REPLACE FUNCTION <schema>.${stem}(…)`);
      }
      const first = sql.indexOf('$$');
      const last = sql.lastIndexOf('$$');
      if (first < 0 || last === first) throw new Error(`${entry}: the function body must be quoted with $$`);
      if (files.some((f) => f.file === entry)) throw new Error(`${entry}: two function files share a name`);
      files.push({
        file: entry,
        name: `${match[1]}.${match[2]}`,
        sql,
        checksum: createHash('sha256').update(sql).digest('hex'),
        body: sql.slice(first + 2, last),
      });
    }
  }
  return files;
}

/**
 * Applies the files whose checksum differs from the one recorded, in one transaction on `runner`
 * (the caller holds the migration lock, so instances starting together take turns and the
 * second finds nothing to do). Answers the files applied.
 */
export async function applyFunctionFiles(runner: QueryRunner, files: readonly FunctionFile[]): Promise<string[]> {
  const recorded = new Map<string, string>(
    ((await runner.query('SELECT file, checksum FROM function_files')) as { file: string; checksum: string }[]).map((r) => [r.file, r.checksum]),
  );
  const changed = files.filter((f) => recorded.get(f.file) !== f.checksum);
  if (changed.length === 0) return [];
  await runner.startTransaction();
  try {
    // Files may call each other in any order: create every function unchecked first (as pg_dump
    // does), then once more with the bodies checked, now that everything they call exists.
    await runner.query('SET LOCAL check_function_bodies = off');
    for (const file of changed) await applyOne(runner, file);
    await runner.query('SET LOCAL check_function_bodies = on');
    for (const file of changed) {
      await runner.query(file.sql);
      await runner.query(
        `INSERT INTO function_files (file, function_name, checksum, applied_at) VALUES ($1, $2, $3, now())
         ON CONFLICT (file) DO UPDATE SET function_name = EXCLUDED.function_name, checksum = EXCLUDED.checksum, applied_at = EXCLUDED.applied_at`,
        [file.file, file.name, file.checksum],
      );
    }
    await runner.commitTransaction();
  } catch (error) {
    await runner.rollbackTransaction();
    throw error;
  }
  return changed.map((f) => f.file);
}

async function applyOne(runner: QueryRunner, file: FunctionFile): Promise<void> {
  const before = await overloads(runner, file.name);
  await runner.query('SAVEPOINT function_file');
  try {
    await runner.query(file.sql);
  } catch (error) {
    if ((error as { driverError?: { code?: string } }).driverError?.code !== INVALID_FUNCTION_DEFINITION) throw error;
    // Replacing in place is refused (a new return type or parameter names): drop, then create.
    await runner.query('ROLLBACK TO SAVEPOINT function_file');
    for (const { signature } of before) await runner.query(`DROP FUNCTION ${signature}`);
    await runner.query(file.sql);
  }
  await runner.query('RELEASE SAVEPOINT function_file');
  // New argument types made a new overload beside the old one: the old one goes.
  const after = await overloads(runner, file.name);
  const created = after.filter((a) => !before.some((b) => b.oid === a.oid));
  if (created.length > 0) {
    for (const old of after.filter((a) => !created.includes(a))) await runner.query(`DROP FUNCTION ${old.signature}`);
  }
}

async function overloads(runner: QueryRunner, qualifiedName: string): Promise<{ oid: string; signature: string }[]> {
  const [schema, name] = qualifiedName.split('.');
  return runner.query(
    `SELECT p.oid::text AS oid, p.oid::regprocedure::text AS signature
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname = $1 AND p.proname = $2`,
    [schema, name],
  );
}
