/** Socket errors and Postgres states that mean "the database cannot be reached right now". */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
// 57P01-03: shutting down / crashed / starting; 53300: too many connections.
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);
const DRIVER_MESSAGES = [
  /^Connection terminated/,
  /timeout exceeded when trying to connect/,
  /Client has encountered a connection error/,
  /Client was closed and is not queryable/,
  /Connection is not established/,
  // TypeORM, when a transaction's connection died under it and was released
  /connection provided by a query runner was already released/,
  /^Query runner already released/,
];

/**
 * True for an error caused by an unreachable database (outage, restart, failover) rather than by
 * the request: the API answers it with 503 `db_unavailable`, and a client may retry later.
 * Looks through TypeORM's wrapper (`driverError`) and `cause` chains.
 */
export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  // Duck-typed: errors from Node's sockets may come from another realm than this module's Error.
  if (typeof error !== 'object' || error === null || depth > 4) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || UNAVAILABLE_SQLSTATES.has(code) || code.startsWith('08'))) return true;
  if (typeof message === 'string' && DRIVER_MESSAGES.some((pattern) => pattern.test(message))) return true;
  const { driverError, cause } = error as { driverError?: unknown; cause?: unknown };
  return isDatabaseUnavailable(driverError, depth + 1) || isDatabaseUnavailable(cause, depth + 1);
}
