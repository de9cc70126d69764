import { CursorCodec, paginate } from './pagination';
import { ValidationFailedError } from './domain-error';

describe('CursorCodec', () => {
  const flows = CursorCodec.sequence('flows');
  const grants = CursorCodec.keyset('grants');

  it('round-trips the positions it encodes, opaque (base64url)', () => {
    for (const id of ['1', '9', '10', '100', '9223372036854775807']) {
      const cursor = flows.encode({ id });
      expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(flows.decode(cursor)).toEqual({ id });
    }
    const at = new Date('2026-03-04T05:06:07.089Z');
    expect(grants.decode(grants.encode({ at, id: '0b7c6f1e-2a3b-4c5d-8e9f-a0b1c2d3e4f5' }))).toEqual({ at, id: '0b7c6f1e-2a3b-4c5d-8e9f-a0b1c2d3e4f5' });
  });

  it.each([
    ['an id one past bigint', CursorCodec.sequence('flows'), { s: 'flows', id: '9223372036854775808' }],
    ['a leading zero', CursorCodec.sequence('flows'), { s: 'flows', id: '010' }],
    ['an upper-case uuid', CursorCodec.keyset('grants'), { s: 'grants', at: '2026-01-01T00:00:00.000Z', id: '0B7C6F1E-2A3B-4C5D-8E9F-A0B1C2D3E4F5' }],
    ['a date without milliseconds', CursorCodec.keyset('grants'), { s: 'grants', at: '2026-01-01T00:00:00Z', id: '0b7c6f1e-2a3b-4c5d-8e9f-a0b1c2d3e4f5' }],
    ['February 30th', CursorCodec.keyset('grants'), { s: 'grants', at: '2026-02-30T00:00:00.000Z', id: '0b7c6f1e-2a3b-4c5d-8e9f-a0b1c2d3e4f5' }],
  ])('refuses %s with a validation error on `cursor`', (_what, codec: CursorCodec<unknown>, fields) => {
    const cursor = Buffer.from(JSON.stringify(fields)).toString('base64url');
    expect(() => codec.decode(cursor)).toThrow(
      expect.objectContaining({ constructor: ValidationFailedError, fields: [{ field: 'cursor', message: 'cursor is not one this API issued' }] }) as Error,
    );
  });
});

describe('paginate', () => {
  const codec = CursorCodec.sequence('numbers');
  const rows = Array.from({ length: 7 }, (_, i) => String(7 - i)); // newest first: 7 … 1
  const list = {
    cursor: codec,
    fetch: async (take: number, before: { id: string } | undefined) => rows.filter((r) => !before || Number(r) < Number(before.id)).slice(0, take),
    position: (r: string) => ({ id: r }),
    item: (r: string) => Number(r),
  };

  it('serves every row once, a page at a time, and ends with a null cursor', async () => {
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: number[]; nextCursor: string | null } = await paginate({ limit: 3, cursor }, list);
      seen.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual([7, 6, 5, 4, 3, 2, 1]);
  });

  it('clamps the limit to 1…200 and gives a last page that is exactly full no cursor', async () => {
    expect(await paginate({ limit: 7 }, list)).toEqual({ items: [7, 6, 5, 4, 3, 2, 1], nextCursor: null });
    expect((await paginate({ limit: 0 }, list)).items).toEqual([7]);
  });
});
