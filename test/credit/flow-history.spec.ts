import { LedgerService } from '@loomworks/credit/staff';
import { TestContext } from '../support/test-context';

/**
 * A person's flow history is newest first by numeric id, page after page. It used to sort by
 * the id's text (…, 2, 12, 11), so once ids crossed 9→10 or 99→100 the newest charges vanished
 * from page 1 and pages repeated. A fresh database (ids from 1) lets one person cross both.
 */
describe('flow history paging across 9→10 and 99→100', () => {
  let ctx: TestContext;

  beforeAll(async () => {
    ctx = await TestContext.create();
  });
  afterAll(() => ctx.close());

  it('pages newest first by numeric id, without gaps or repeats, for several page sizes', async () => {
    const ledger = ctx.get(LedgerService);
    const person = await ctx.fundedPerson('haiku', 1000n);
    for (let i = 0; i < 110; i++) {
      await ledger.adjust({ personId: person.id, asset: 'haiku', amount: BigInt(i + 1), reason: `step ${i}`, actorPersonId: null });
    }
    const ids = (await ctx.db.query<{ id: string }>('SELECT id::text FROM credit.flows WHERE person_id = $1 ORDER BY flows.id DESC', [person.id])).map((r) => r.id);
    expect(ids.some((id) => id.length === 1) && ids.some((id) => id.length === 3)).toBe(true); // both boundaries crossed

    for (const limit of [1, 3, 7, 10, 50, 200]) {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page = await ledger.flows(person.id, { limit, cursor });
        expect(page.items.length).toBeLessThanOrEqual(limit);
        seen.push(...page.items.map((f) => f.id));
        cursor = page.nextCursor;
      } while (cursor);
      expect([limit, seen]).toEqual([limit, ids]);
    }
    const first = await ledger.flows(person.id, { limit: 3 });
    expect(first.items.map((f) => f.metadata.reason)).toEqual(['step 109', 'step 108', 'step 107']);
  });
});
