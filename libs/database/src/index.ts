export { DatabaseModule } from './database.module';
export { Transactions, type Tx, type IsolationLevel } from './transactions';
export { dataSourceOptions, keepsNamedStatements, type MigrationClass } from './data-source-options';
export {
  IdempotencyService,
  IDEMPOTENCY_RETENTION_MS,
  type ResponseSeal,
  IdempotencyKeyReusedError,
  IdempotencyKeyInProgressError,
  IdempotencyClaimLostError,
  type IdempotencyClaim,
  type IdempotencyStart,
} from './idempotency';
export { Migrator, FUNCTION_DIRS, migrateAsOwner } from './migrator';
export { applyFunctionFiles, readFunctionFiles, type FunctionFile } from './function-files';
export { Scheduler, type JobInterval, type JobWork } from './scheduler';
export { ReadReplica } from './read-replica';
export { grantRuntimePrivileges } from './privileges';
export { parseDatabaseUrl, roleOf, withoutPassword } from './database-url';
export { isConstraintViolation, type ConstraintKind } from './constraint-violation';
export { isDatabaseUnavailable } from './database-unavailable';
export { queryPrepared, poolOf } from './prepared';
export { StatementBatcher, type BatchStatements, type BatchLimits } from './statement-batcher';
