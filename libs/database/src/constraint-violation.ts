/**
 * Recognises a Postgres constraint violation (through TypeORM's QueryFailedError or the driver's
 * own error), so a repository can turn one that input can cause into a typed domain error.
 */
export type ConstraintKind = 'unique' | 'foreign_key';

const SQLSTATE: Record<ConstraintKind, string> = { unique: '23505', foreign_key: '23503' };

export function isConstraintViolation(error: unknown, kind: ConstraintKind, constraint?: string): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const driver = (error as { driverError?: { code?: string; constraint?: string } }).driverError ?? (error as { code?: string; constraint?: string });
  return driver.code === SQLSTATE[kind] && (constraint === undefined || driver.constraint === constraint);
}
