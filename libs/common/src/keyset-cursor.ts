import { ValidationFailedError } from './domain-error';

/**
 * Opaque cursors for lists ordered by (timestamp, uuid) descending: the last item's pair,
 * base64url-encoded. A cursor this API did not issue is a 400 on the `cursor` field.
 */
export function encodeKeysetCursor(at: Date, id: string): string {
  return Buffer.from(`${at.toISOString()}|${id}`).toString('base64url');
}

export function decodeKeysetCursor(cursor: string): { at: Date; id: string } {
  const [iso, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const at = new Date(iso);
  if (!id || !/^[0-9a-f-]{36}$/.test(id) || Number.isNaN(at.getTime())) {
    throw new ValidationFailedError([{ field: 'cursor', message: 'cursor is not one this API issued' }]);
  }
  return { at, id };
}
