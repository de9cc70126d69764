import { DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { APP_CONFIG, type AppConfig } from '@loomworks/config';
import { dataSourceOptions, type MigrationClass } from './data-source-options';
import { IdempotencyService } from './idempotency';
import { Migrator } from './migrator';
import { Transactions } from './transactions';

export interface DatabaseModuleOptions {
  /** Migration classes, in order; applied at start-up. */
  migrations: MigrationClass[];
}

/** The TypeORM DataSource (migrations applied at start-up by Migrator), transactions and idempotency. */
@Global()
@Module({})
export class DatabaseModule {
  static forRoot({ migrations }: DatabaseModuleOptions): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          inject: [APP_CONFIG],
          useFactory: (config: AppConfig) => ({
            ...dataSourceOptions(config.databaseUrl, migrations),
            autoLoadEntities: true,
            // Applied by Migrator, under a lock.
            migrationsRun: false,
            // Start-up fails loudly on a bad DATABASE_URL instead of retrying for minutes.
            retryAttempts: 0,
          }),
        }),
      ],
      providers: [Migrator, Transactions, IdempotencyService],
      exports: [Transactions, IdempotencyService],
    };
  }
}
