import { ValidationFailedError } from './domain-error';

/** API.md: every list is `{items, nextCursor}`; `nextCursor` is null on the last page. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** `?limit=&cursor=` as a service receives it. */
export interface PageRequest {
  limit?: number;
  cursor?: string | null;
}

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

/** Where a list ordered by a bigint id (descending) stopped: ledger flows, audit entries. */
export interface SequencePosition {
  id: string;
}

/** Where a list ordered by (timestamp, uuid) descending stopped: grants, conversations, mail … */
export interface KeysetPosition {
  at: Date;
  id: string;
}

const BIGINT_MAX = 9223372036854775807n;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
// Any instant a row of ours can carry; outside it a position is a forgery (and may overflow SQL).
const EARLIEST = Date.UTC(1900, 0, 1);
const LATEST = Date.UTC(9999, 11, 31);

function refused(): ValidationFailedError {
  return new ValidationFailedError([{ field: 'cursor', message: 'cursor is not one this API issued' }]);
}

/**
 * The one cursor codec. A cursor is base64url JSON naming the list it belongs to (`scope`) and the
 * position of the last item served. It is opaque to clients and validated on the way in rather
 * than signed: forging a well-formed position only skips ahead in a list the caller may read
 * anyway, while every malformed one (garbage, another list's cursor, an id beyond bigint, a
 * non-uuid, an instant no row can have) is a 400 on `cursor` before any SQL runs.
 */
export abstract class CursorCodec<P> {
  protected constructor(readonly scope: string) {}

  static sequence(scope: string): CursorCodec<SequencePosition> {
    return new SequenceCursor(scope);
  }

  static keyset(scope: string): CursorCodec<KeysetPosition> {
    return new KeysetCursor(scope);
  }

  encode(position: P): string {
    return Buffer.from(JSON.stringify({ s: this.scope, ...this.fields(position) }), 'utf8').toString('base64url');
  }

  decode(cursor: string): P {
    if (!BASE64URL.test(cursor)) throw refused();
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    } catch {
      throw refused();
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw refused();
    const { s, ...fields } = parsed as Record<string, unknown>;
    if (s !== this.scope) throw refused();
    const position = this.position(fields);
    if (position === undefined) throw refused();
    return position;
  }

  protected abstract fields(position: P): Record<string, string>;
  /** The position the fields describe, or undefined when they are not exactly what encode writes. */
  protected abstract position(fields: Record<string, unknown>): P | undefined;
}

class SequenceCursor extends CursorCodec<SequencePosition> {
  protected fields(p: SequencePosition) {
    return { id: p.id };
  }

  protected position(fields: Record<string, unknown>): SequencePosition | undefined {
    const { id, ...rest } = fields;
    if (Object.keys(rest).length > 0 || typeof id !== 'string' || !/^[1-9]\d{0,18}$/.test(id) || BigInt(id) > BIGINT_MAX) return undefined;
    return { id };
  }
}

class KeysetCursor extends CursorCodec<KeysetPosition> {
  protected fields(p: KeysetPosition) {
    return { at: p.at.toISOString(), id: p.id };
  }

  protected position(fields: Record<string, unknown>): KeysetPosition | undefined {
    const { at, id, ...rest } = fields;
    if (Object.keys(rest).length > 0 || typeof at !== 'string' || typeof id !== 'string' || !UUID.test(id) || !ISO_INSTANT.test(at)) return undefined;
    const instant = new Date(at);
    const time = instant.getTime();
    if (Number.isNaN(time) || time < EARLIEST || time > LATEST || instant.toISOString() !== at) return undefined;
    return { at: instant, id };
  }
}

/** `limit` within 1…MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE when absent. */
export function pageSize(limit: number | undefined): number {
  return Math.min(Math.max(limit ?? DEFAULT_PAGE_SIZE, 1), MAX_PAGE_SIZE);
}

/**
 * The one pagination helper: decodes the request's cursor, fetches one row more than the page
 * (so the last page needs no count), and encodes the last row served as the next cursor.
 */
export async function paginate<Row, Item, P>(
  request: PageRequest,
  list: {
    cursor: CursorCodec<P>;
    fetch: (take: number, after: P | undefined) => Promise<Row[]>;
    position: (row: Row) => P;
    item: (row: Row) => Item;
  },
): Promise<Page<Item>> {
  const limit = pageSize(request.limit);
  const after = request.cursor ? list.cursor.decode(request.cursor) : undefined;
  const rows = await list.fetch(limit + 1, after);
  const served = rows.slice(0, limit);
  return {
    items: served.map(list.item),
    nextCursor: rows.length > limit ? list.cursor.encode(list.position(served[served.length - 1])) : null,
  };
}

/** The same page with each item mapped (domain item → view). */
export function mapPage<A, B>(page: Page<A>, view: (item: A) => B): Page<B> {
  return { items: page.items.map(view), nextCursor: page.nextCursor };
}
