import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { dataSourceOptions, Migrator, readFunctionFiles } from '@loomworks/database';
import { allMigrations } from '../../migrations';
import { schemaSnapshot } from '../support/schema-snapshot';
import { createTestDatabase, FUNCTION_DIRS, type TestDatabase } from '../support/test-database';

/** The SQL function files (DESIGN.md "Where the money rules live"): the database runs exactly them. */
describe('SQL function files', () => {
  const files = readFunctionFiles(FUNCTION_DIRS);
  const open = (db: TestDatabase) => new DataSource(dataSourceOptions(db.url, allMigrations)).initialize();
  const start = async (db: TestDatabase, dirs: readonly string[] = FUNCTION_DIRS) => {
    const source = await open(db);
    try {
      await new Migrator(source, dirs).onModuleInit();
    } finally {
      await source.destroy();
    }
  };
  const definitions = (db: TestDatabase, schema: string, name: string) =>
    db.query<{ prosrc: string; signature: string; version: string }>(
      `SELECT p.prosrc, p.oid::regprocedure::text AS signature, p.xmin::text AS version
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = $1 AND p.proname = $2`,
      [schema, name],
    );

  describe('on a started database', () => {
    let db: TestDatabase;
    beforeAll(async () => {
      db = await createTestDatabase();
    });
    afterAll(() => db.drop());

    it('runs exactly the definition of each file, one function per file', async () => {
      expect(files.length).toBeGreaterThan(10);
      for (const file of files) {
        const [schema, name] = file.name.split('.');
        const found = await definitions(db, schema, name);
        expect({ file: file.file, bodies: found.map((f) => f.prosrc) }).toEqual({ file: file.file, bodies: [file.body] });
      }
      expect(await db.query('SELECT file, function_name, checksum FROM function_files ORDER BY file')).toEqual(
        [...files].sort((a, b) => a.file.localeCompare(b.file)).map((f) => ({ file: f.file, function_name: f.name, checksum: f.checksum })),
      );
    });

    it('leaves no function of the credit schema without a file (no copy in a migration is live)', async () => {
      const live = await db.query<{ name: string }>(
        "SELECT 'credit.' || p.proname AS name FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'credit' ORDER BY 1",
      );
      expect(live.map((r) => r.name)).toEqual(files.map((f) => f.name).filter((n) => n.startsWith('credit.')).sort());
    });

    it('changes nothing on a second start', async () => {
      const before = { rows: await db.query('SELECT * FROM function_files ORDER BY file'), versions: await allVersions(db) };
      await start(db);
      expect(await db.query('SELECT * FROM function_files ORDER BY file')).toEqual(before.rows);
      expect(await allVersions(db)).toEqual(before.versions);
    });

    const allVersions = (db: TestDatabase) =>
      db.query("SELECT p.oid::regprocedure::text AS f, p.xmin::text AS v FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'credit' ORDER BY 1");
  });

  describe('when a file changes', () => {
    let db: TestDatabase;
    let dir: string;
    beforeAll(async () => {
      db = await createTestDatabase();
      dir = mkdtempSync(join(tmpdir(), 'lw-fn-'));
    });
    afterAll(async () => {
      rmSync(dir, { recursive: true, force: true });
      await db.drop();
    });
    const write = (sql: string) => writeFileSync(join(dir, 'probe_fn.sql'), sql);
    const probe = () => definitions(db, 'credit', 'probe_fn');

    it('applies the new definition, dropping the old one when it cannot be replaced in place', async () => {
      write('CREATE OR REPLACE FUNCTION credit.probe_fn(p_a integer) RETURNS integer LANGUAGE sql AS $$ SELECT p_a $$;');
      await start(db, [...FUNCTION_DIRS, dir]);
      expect(await probe()).toEqual([expect.objectContaining({ signature: 'credit.probe_fn(integer)', prosrc: ' SELECT p_a ' })]);

      // another return type: CREATE OR REPLACE is refused, so the old definition is dropped first
      write('CREATE OR REPLACE FUNCTION credit.probe_fn(p_a integer) RETURNS bigint LANGUAGE sql AS $$ SELECT p_a::bigint $$;');
      await start(db, [...FUNCTION_DIRS, dir]);
      expect(await probe()).toEqual([expect.objectContaining({ signature: 'credit.probe_fn(integer)', prosrc: ' SELECT p_a::bigint ' })]);
      expect(await db.query("SELECT (credit.probe_fn(p_a => 7))::text AS v")).toEqual([{ v: '7' }]);

      // other argument types: the new overload stays alone
      write('CREATE OR REPLACE FUNCTION credit.probe_fn(p_a integer, p_b integer) RETURNS bigint LANGUAGE sql AS $$ SELECT (p_a + p_b)::bigint $$;');
      await start(db, [...FUNCTION_DIRS, dir]);
      expect(await probe()).toEqual([expect.objectContaining({ signature: 'credit.probe_fn(integer,integer)' })]);
    });

    it('applies nothing when one changed file fails: all files of a start go in one transaction', async () => {
      const before = await db.query('SELECT * FROM function_files ORDER BY file');
      const ceil = files.find((f) => f.file === 'ceil_credits.sql')!;
      writeFileSync(join(dir, 'ceil_credits.sql'), ceil.sql.replace('div(', 'div(0 + '));
      writeFileSync(join(dir, 'a_probe.sql'), 'CREATE OR REPLACE FUNCTION credit.a_probe() RETURNS integer LANGUAGE sql AS $$ SELECT 1 $$;');
      write('CREATE OR REPLACE FUNCTION credit.probe_fn(p_a integer, p_b integer) RETURNS bigint LANGUAGE sql AS $$ SELECT no_such_column $$;');
      // ceil_credits.sql in two directories is refused before anything runs
      await expect(start(db, [...FUNCTION_DIRS, dir])).rejects.toThrow('two function files share a name');
      rmSync(join(dir, 'ceil_credits.sql'));
      await expect(start(db, [...FUNCTION_DIRS, dir])).rejects.toThrow(/no_such_column/);
      expect(await db.query('SELECT * FROM function_files ORDER BY file')).toEqual(before);
      expect(await probe()).toEqual([expect.objectContaining({ prosrc: ' SELECT (p_a + p_b)::bigint ' })]);
      expect(await definitions(db, 'credit', 'a_probe')).toEqual([]);
      rmSync(join(dir, 'a_probe.sql'));
    });

    it('refuses a file that is not one CREATE OR REPLACE FUNCTION named like the file', async () => {
      write('CREATE FUNCTION credit.other_name() RETURNS integer LANGUAGE sql AS $$ SELECT 1 $$;');
      await expect(start(db, [dir])).rejects.toThrow(/probe_fn\.sql: a function file defines exactly one/);
    });
  });

  it('installs once when several instances start on an empty database together', async () => {
    const db = await createTestDatabase({ migrated: false });
    const sources = await Promise.all([1, 2, 3].map(() => open(db)));
    try {
      await Promise.all(sources.map((s) => new Migrator(s, FUNCTION_DIRS).onModuleInit()));
      expect(await db.query('SELECT count(*)::int AS n, count(DISTINCT applied_at)::int AS starts FROM function_files')).toEqual([
        { n: files.length, starts: 1 },
      ]);
      for (const file of files) {
        const [schema, name] = file.name.split('.');
        expect((await definitions(db, schema, name)).map((d) => d.prosrc)).toEqual([file.body]);
      }
    } finally {
      await Promise.all(sources.map((s) => s.destroy()));
      await db.drop();
    }
  });

  it('reverts completely after the files were applied', async () => {
    const db = await createTestDatabase();
    const source = await open(db);
    try {
      for (let i = 0; i < allMigrations.length; i++) await source.undoLastMigration();
      expect(await schemaSnapshot(source)).toEqual(['schema public']);
    } finally {
      await source.destroy();
      await db.drop();
    }
  });
});
