import { Inject, Injectable, Optional, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type QueryRunner } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '@loomworks/config';
import { dataSourceOptions, type MigrationClass } from './data-source-options';
import { applyFunctionFiles, readFunctionFiles, type FunctionFile } from './function-files';
import { grantRuntimePrivileges } from './privileges';

/** Any constant works; it only has to be the same for every instance of the app. */
const MIGRATION_LOCK = 7_243_100;
/** How long an instance waiting for another's migrations sleeps between tries for the lock. */
const LOCK_RETRY_MS = 200;

/** The directories of SQL function files (see function-files.ts), as the composition root lists them. */
export const FUNCTION_DIRS = Symbol('FUNCTION_DIRS');

/**
 * Brings a database up to date as its owner: pending migrations, the SQL function files whose
 * content changed, then the runtime role's privileges (privileges.ts; skipped when the owner is
 * also the runtime role). Under a transaction-scoped advisory lock (takeMigrationLock), held by an
 * open transaction on a connection of its own, so instances starting together take turns instead of racing to create
 * the same tables and functions — and it works through a transaction-mode pooler too.
 */
export async function migrateAsOwner(owner: DataSource, runtimeRole: string, files: FunctionFile[] = []): Promise<void> {
  const lock = owner.createQueryRunner();
  const runner = owner.createQueryRunner();
  await lock.connect();
  try {
    await takeMigrationLock(lock);
    await owner.runMigrations();
    await applyFunctionFiles(runner, files);
    const [{ role }]: { role: string }[] = await owner.query('SELECT current_user AS role');
    if (role !== runtimeRole) await grantRuntimePrivileges(owner, runtimeRole);
    await lock.commitTransaction();
  } finally {
    if (lock.isTransactionActive) await lock.rollbackTransaction().catch(() => undefined);
    await runner.release();
    await lock.release();
  }
}

/**
 * Opens a transaction on `lock` holding the migration lock. Tried in short transactions, not waited
 * for in one statement: a statement waiting for a lock holds a snapshot, and CREATE INDEX
 * CONCURRENTLY (how a migration indexes a big table without blocking its writes) waits for every
 * older snapshot to end — the migrating instance would wait for the instances waiting for it, for
 * ever (the deadlock detector sees no cycle: one side of it is this process). Between tries, and
 * once it holds the lock, the transaction holds no snapshot (READ COMMITTED, no portal left open).
 */
async function takeMigrationLock(lock: QueryRunner): Promise<void> {
  for (;;) {
    await lock.startTransaction();
    // No parameters: the simple query protocol, which leaves no portal behind — an unnamed portal
    // of the extended protocol keeps its snapshot until the transaction ends.
    const [{ locked }]: { locked: boolean }[] = await lock.query(`SELECT pg_try_advisory_xact_lock(${MIGRATION_LOCK}) AS locked`);
    if (locked) return;
    await lock.rollbackTransaction();
    await new Promise((resolve) => setTimeout(resolve, LOCK_RETRY_MS));
  }
}

/**
 * Applies migrations and function files at start-up through DATABASE_MIGRATION_URL (the tables'
 * owner) while the API itself connects as the runtime role (DATABASE_URL).
 */
@Injectable()
export class Migrator implements OnModuleInit {
  /** Set when one role both runs the API and owns its tables (start-up says so). */
  sharedRole: string | null = null;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Optional() @Inject(FUNCTION_DIRS) private readonly functionDirs: readonly string[] = [],
    /** absent (tests that build a Migrator by hand): the DataSource's role migrates */
    @Optional() @Inject(APP_CONFIG) private readonly config?: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    // Read first: a malformed file stops the start before anything is written.
    const files = readFunctionFiles(this.functionDirs);
    const [{ role }]: { role: string }[] = await this.dataSource.query('SELECT current_user AS role');
    if (!this.config || this.config.databaseMigrationUrl === this.config.databaseUrl) {
      this.sharedRole = role;
      return migrateAsOwner(this.dataSource, role, files);
    }
    const migrations = this.dataSource.options.migrations as MigrationClass[];
    const owner = await new DataSource(
      dataSourceOptions(this.config.databaseMigrationUrl, migrations, { poolSize: 3, applicationName: 'loomworks-migrations' }),
    ).initialize();
    try {
      const [ownerRole]: { role: string }[] = await owner.query('SELECT current_user AS role');
      if (ownerRole.role === role) this.sharedRole = role;
      await migrateAsOwner(owner, role, files);
    } finally {
      await owner.destroy();
    }
  }
}
