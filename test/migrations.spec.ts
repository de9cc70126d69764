import { DataSource } from 'typeorm';
import { dataSourceOptions } from '@loomworks/database';
import { allMigrations } from '../migrations';
import { schemaSnapshot } from './support/schema-snapshot';
import { createTestDatabase, type TestDatabase } from './support/test-database';

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

  it('have unique, ordered timestamps in their names', () => {
    const stamps = allMigrations.map((m) => Number(/(\d{13})$/.exec(m.name)![1]));
    expect([...stamps].sort((a, b) => a - b)).toEqual(stamps);
    expect(new Set(stamps).size).toBe(stamps.length);
  });
});
