// The DataSource the TypeORM CLI uses (`npm run migration:run` / `migration:revert`),
// built from the same validated configuration as the app. It connects as the tables' owner
// (DATABASE_MIGRATION_URL, else DATABASE_URL); tables it creates get the runtime role's grants
// from the default privileges the app's start-up sets (libs/database/src/privileges.ts).
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfig } from '@loomworks/config';
import { dataSourceOptions } from '@loomworks/database';
import { allMigrations } from './migrations';

export default new DataSource(dataSourceOptions(loadConfig(process.env).databaseMigrationUrl, allMigrations));
