import { Inject, Injectable, Optional, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { applyFunctionFiles, readFunctionFiles } from './function-files';

/** Any constant works; it only has to be the same for every instance of the app. */
const MIGRATION_LOCK = 7_243_100;

/** The directories of SQL function files (see function-files.ts), as the composition root lists them. */
export const FUNCTION_DIRS = Symbol('FUNCTION_DIRS');

/**
 * Applies pending migrations at start-up, then the SQL function files whose content changed,
 * under a Postgres advisory lock, so instances starting together take turns instead of racing
 * to create the same tables and functions.
 */
@Injectable()
export class Migrator implements OnModuleInit {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Optional() @Inject(FUNCTION_DIRS) private readonly functionDirs: readonly string[] = [],
  ) {}

  async onModuleInit(): Promise<void> {
    // Read first: a malformed file stops the start before anything is written.
    const files = readFunctionFiles(this.functionDirs);
    const lock = this.dataSource.createQueryRunner();
    await lock.connect();
    try {
      await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
      await this.dataSource.runMigrations();
      await applyFunctionFiles(lock, files);
    } finally {
      await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
      await lock.release();
    }
  }
}
