import { LedgerService } from '@loomworks/credit/staff';
import { TestContext, type SignedIn } from '../support/test-context';

/**
 * flow-history.spec.ts pages the ledger's query across flow ids 9→10 and 99→100; this pages the
 * two HTTP views built on it — GET /me/flows and the admin credit view — with the cursors they
 * issue, so the cursor's round trip through the API is covered too.
 */
describe('flow history over HTTP across flow ids 9→10 and 99→100', () => {
  let ctx: TestContext;
  let admin: SignedIn;
  let member: SignedIn;
  let ids: string[];

  beforeAll(async () => {
    ctx = await TestContext.create();
    admin = await ctx.admin();
    member = await ctx.signedInPerson();
    const ledger = ctx.app.get(LedgerService);
    for (let i = 0; i < 110; i++) {
      await ledger.adjust({ personId: member.person.id, asset: 'haiku', amount: BigInt(i + 1), reason: `step ${i}`, actorPersonId: null });
    }
    ids = (await ctx.db.query<{ id: string }>('SELECT id::text FROM credit.flows WHERE person_id = $1 ORDER BY flows.id DESC', [member.person.id])).map((r) => r.id);
  });
  afterAll(() => ctx.close());

  it('has flows on both sides of both boundaries (a fresh database numbers from 1)', () => {
    expect(ids).toHaveLength(110);
    expect([ids.some((id) => id.length === 1), ids.some((id) => id.length === 2), ids.some((id) => id.length === 3)]).toEqual([true, true, true]);
  });

  const pages = async (path: (cursor: string | null) => string, token: string, itemsOf: (body: Record<string, unknown>) => { id: string }[]) => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { body: Record<string, unknown> } = await ctx.http().get(path(cursor)).set('authorization', `Bearer ${token}`).expect(200);
      seen.push(...itemsOf(res.body).map((f) => f.id));
      cursor = res.body.nextCursor as string | null;
    } while (cursor);
    return seen;
  };
  const query = (limit: number, cursor: string | null) => `limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;

  it.each([1, 7, 10, 33, 100])('GET /me/flows, %i a page: newest first by number, no gaps, no repeats', async (limit) => {
    const seen = await pages((c) => `/me/flows?${query(limit, c)}`, member.sessionToken, (b) => b.items as { id: string }[]);
    expect(seen).toEqual(ids);
  });

  it.each([7, 100])('GET /admin/persons/:id/credit, %i a page: the same order', async (limit) => {
    const seen = await pages((c) => `/admin/persons/${member.person.id}/credit?${query(limit, c)}`, admin.sessionToken, (b) => b.flows as { id: string }[]);
    expect(seen).toEqual(ids);
  });

  it('shows the newest charges first on page 1', async () => {
    const res = await ctx.http().get('/me/flows?limit=3').set('authorization', `Bearer ${member.sessionToken}`).expect(200);
    // (a member never sees staff's reasons: the flows are told apart by id)
    expect(res.body.items.map((f: { id: string }) => f.id)).toEqual(ids.slice(0, 3));
    expect(res.body.items.map((f: { metadata: object }) => f.metadata)).toEqual([{}, {}, {}]);
  });
});
