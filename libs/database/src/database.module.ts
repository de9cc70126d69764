import { DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { APP_CONFIG, type AppConfig } from '@loomworks/config';
import { dataSourceOptions, type MigrationClass } from './data-source-options';
import { IdempotencyService } from './idempotency';
import { FUNCTION_DIRS, Migrator } from './migrator';
import { Scheduler } from './scheduler';
import { ReadReplica } from './read-replica';
import { Transactions } from './transactions';

export interface DatabaseModuleOptions {
  /** Migration classes, in order; applied at start-up. */
  migrations: MigrationClass[];
  /** Directories of SQL function files; applied after the migrations when their content changed. */
  functionDirs?: string[];
}

/**
 * The TypeORM DataSource (the runtime role; migrations and function files applied at start-up by
 * Migrator as the owner), transactions, idempotency, the one scheduler and the read replica.
 */
@Global()
@Module({})
export class DatabaseModule {
  static forRoot({ migrations, functionDirs = [] }: DatabaseModuleOptions): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          inject: [APP_CONFIG],
          useFactory: (config: AppConfig) => ({
            ...dataSourceOptions(config.databaseUrl, migrations, { poolMode: config.databasePoolMode }),
            autoLoadEntities: true,
            // Applied by Migrator, under a lock.
            migrationsRun: false,
            // Start-up fails loudly on a bad DATABASE_URL instead of retrying for minutes.
            retryAttempts: 0,
          }),
        }),
      ],
      providers: [{ provide: FUNCTION_DIRS, useValue: functionDirs }, Migrator, Transactions, IdempotencyService, Scheduler, ReadReplica],
      exports: [Transactions, IdempotencyService, Scheduler, ReadReplica, Migrator],
    };
  }
}
