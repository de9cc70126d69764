import { QueryFailedError, type DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { keepsNamedStatements } from './data-source-options';
import type { Tx } from './transactions';

interface PreparedClient {
  query<T>(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: T[] }>;
}

interface PooledClient extends PreparedClient {
  on(event: 'error', listener: (error: Error) => void): unknown;
  removeListener(event: 'error', listener: (error: Error) => void): unknown;
  release(error?: Error): void;
}

/**
 * A hot, fixed read as a named prepared statement: Postgres parses and plans it once per
 * connection instead of on every call (for the session guard's join, planning cost more than
 * running). `name` must stand for one `text` only. Errors come back as TypeORM's
 * QueryFailedError, like any other query's.
 *
 * Behind a transaction-mode pooler (DATABASE_POOL_MODE=transaction) the next statement may run on
 * another server connection, which never saw the PREPARE, so there it is an ordinary query.
 */
export async function queryPrepared<T>(tx: Tx, name: string, text: string, values: unknown[]): Promise<T[]> {
  if (!keepsNamedStatements(tx.connection)) return tx.query(text, values);
  if (tx.queryRunner === undefined) return onPooledClient(tx.connection, name, text, values);
  const client = (await tx.queryRunner.connect()) as PreparedClient;
  try {
    return (await client.query<T>({ name, text, values })).rows;
  } catch (error) {
    throw new QueryFailedError(text, values, error as Error);
  }
}

/**
 * A statement on its own takes a connection from the pg pool itself, as TypeORM's query runner
 * would (same pool, same release), without building a query runner around it: these are the
 * Messages API's two statements per request, where the runner's objects and promises were a
 * measurable part of the API process's CPU.
 */
async function onPooledClient<T>(dataSource: DataSource, name: string, text: string, values: unknown[]): Promise<T[]> {
  const pool = (dataSource.driver as PostgresDriver).master as { connect(): Promise<PooledClient> };
  const client = await pool.connect();
  // As the runner does: a connection that fails while held goes back broken, so the pool drops it.
  let broken: Error | undefined;
  const onError = (error: Error) => (broken = error);
  client.on('error', onError);
  try {
    return (await client.query<T>({ name, text, values })).rows;
  } catch (error) {
    throw new QueryFailedError(text, values, error as Error);
  } finally {
    client.removeListener('error', onError);
    client.release(broken);
  }
}

interface NamedQuery {
  name?: string;
  text: string;
  values?: unknown[];
}

/**
 * The DataSource's pg pool for a library that takes one (rate-limiter-flexible names its
 * statements): behind a transaction-mode pooler the names are dropped, as in queryPrepared.
 */
export function poolOf(dataSource: DataSource): { query(query: NamedQuery): Promise<unknown> } {
  const pool = (dataSource.driver as PostgresDriver).master as { query(query: NamedQuery): Promise<unknown> };
  if (keepsNamedStatements(dataSource)) return pool;
  return { query: ({ text, values }) => pool.query({ text, values }) };
}
