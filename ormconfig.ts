// The DataSource the TypeORM CLI uses (`npm run migration:run` / `migration:revert`),
// built from the same validated configuration as the app.
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfig } from '@loomworks/config';
import { dataSourceOptions } from '@loomworks/database';
import { allMigrations } from './migrations';

export default new DataSource(dataSourceOptions(loadConfig(process.env).databaseUrl, allMigrations));
