import { DataSource } from 'typeorm';
import { dataSourceOptions, migrateAsOwner } from '@loomworks/database';
import { allMigrations } from '../migrations';
import { schemaSnapshot } from './support/schema-snapshot';
import { createTestDatabase, runtimeRole, type TestDatabase } from './support/test-database';

describe('migrations', () => {
  let db: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase({ migrated: false });
    dataSource = await new DataSource(dataSourceOptions(db.url, allMigrations)).initialize();
  });
  afterAll(async () => {
    await dataSource.destroy();
    await db.drop();
  });

  it('apply in order, revert completely, and re-apply to the same schema', async () => {
    const applied = await dataSource.runMigrations();
    expect(applied.map((m) => m.name)).toEqual(allMigrations.map((m) => m.name));
    const first = await schemaSnapshot(dataSource);
    expect(first.some((line) => line.startsWith('column public.persons.email'))).toBe(true);

    for (let i = 0; i < allMigrations.length; i++) await dataSource.undoLastMigration();
    expect(await dataSource.query('SELECT count(*)::int AS n FROM migrations')).toEqual([{ n: 0 }]);
    const empty = await schemaSnapshot(dataSource);
    expect(empty).toEqual(['schema public']);

    await dataSource.runMigrations();
    expect(await schemaSnapshot(dataSource)).toEqual(first);
  });

  describe('at start-up of several instances at once', () => {
    const sourcesOn = (url: string) => Promise.all([1, 2, 3, 4].map(() => new DataSource(dataSourceOptions(url, allMigrations)).initialize()));

    it('race without a lock (so the next test can tell)', async () => {
      let failures = 0;
      for (let round = 0; round < 5 && failures === 0; round++) {
        const empty = await createTestDatabase({ migrated: false });
        const sources = await sourcesOn(empty.url);
        const results = await Promise.allSettled(sources.map((s) => s.runMigrations()));
        failures += results.filter((r) => r.status === 'rejected').length;
        await Promise.all(sources.map((s) => s.destroy()));
        await empty.drop();
      }
      expect(failures).toBeGreaterThan(0);
    });

    // AsOfBalanceIndexes builds its indexes CONCURRENTLY, which waits for every older snapshot: had
    // the waiting instances held one while waiting for the lock, the first would never finish.
    it('migrate once, in turn, through the Migrator\'s advisory lock, waiting without a snapshot', async () => {
      const empty = await createTestDatabase({ migrated: false });
      const sources = await sourcesOn(empty.url);
      try {
        await Promise.all(sources.map((s) => migrateAsOwner(s, runtimeRole())));
        expect(await sources[0].query('SELECT count(*)::int AS n FROM migrations')).toEqual([{ n: allMigrations.length }]);
      } finally {
        await Promise.all(sources.map((s) => s.destroy()));
        await empty.drop();
      }
    });
  });

  it('have unique, ordered timestamps in their names', () => {
    const stamps = allMigrations.map((m) => Number(/(\d{13})$/.exec(m.name)![1]));
    expect([...stamps].sort((a, b) => a - b)).toEqual(stamps);
    expect(new Set(stamps).size).toBe(stamps.length);
  });
});
