import { Client } from 'pg';
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

/**
 * History's first page reads a page of flows however long the person's history (issue 24). The
 * page asks for the person's flows in which they are a party; taken as independent tests, the
 * planner expected fewer rows than a page for a person among many and fetched and sorted every flow
 * of theirs instead of walking flows_person_idx newest first. The statement the app sends is run
 * under EXPLAIN ANALYZE: no step of its plan may handle more rows than the page (and one to tell
 * whether there is a next page).
 */
describe('flow history of a long history among many persons', () => {
  let ctx: TestContext;

  beforeAll(async () => {
    ctx = await TestContext.create();
  });
  afterAll(() => ctx.close());

  it('reads the first page without reading the rest of the history', async () => {
    const OWN = 600;
    const OTHERS = 200;
    const EACH = 120;
    const person = await ctx.newPerson();
    const others: string[] = [];
    for (let i = 0; i < OTHERS; i++) others.push((await ctx.newPerson()).id);
    // Written in bulk (the balance trigger off, its balances added by one aggregate, as the scale
    // bench does): the others' flows and the person's interleaved, so the person's are spread over the heap.
    await ctx.db.query(
      `BEGIN;
       ALTER TABLE credit.flows DISABLE TRIGGER flows_apply;
       INSERT INTO credit.flows (kind, asset, amount, from_party, to_party, person_id, idempotency_key, created_at)
         SELECT 'adjustment', 'haiku', 1, 'system:issuer', 'person:' || p, p, 'bulk-' || g || '-' || p, now()
           FROM generate_series(1, ${EACH}) g, unnest(ARRAY[${[person.id, ...others].map((id) => `'${id}'`).join(',')}]::uuid[]) p
          ORDER BY g, p;
       INSERT INTO credit.balances AS b (party, asset, slot, amount)
         SELECT party, 'haiku', credit.balance_slot(party, person_id), sum(amount)
           FROM (SELECT to_party AS party, person_id, amount FROM credit.flows WHERE idempotency_key LIKE 'bulk-%'
                 UNION ALL SELECT 'system:issuer', person_id, -amount FROM credit.flows WHERE idempotency_key LIKE 'bulk-%') m
          GROUP BY party, credit.balance_slot(party, person_id)
         ON CONFLICT (party, asset, slot) DO UPDATE SET amount = b.amount + EXCLUDED.amount;
       ALTER TABLE credit.flows ENABLE TRIGGER flows_apply;
       COMMIT`,
    );
    // The rest of the person's history, the newest flows.
    await ctx.db.query(
      `BEGIN;
       ALTER TABLE credit.flows DISABLE TRIGGER flows_apply;
       INSERT INTO credit.flows (kind, asset, amount, from_party, to_party, person_id, idempotency_key, created_at)
         SELECT 'adjustment', 'haiku', 1, 'system:issuer', 'person:${person.id}', '${person.id}', 'own-' || g, now()
           FROM generate_series(1, ${OWN - EACH}) g;
       INSERT INTO credit.balances AS b (party, asset, slot, amount)
         VALUES ('person:${person.id}', 'haiku', credit.balance_slot('person:${person.id}', '${person.id}'), ${OWN - EACH}),
                ('system:issuer', 'haiku', credit.balance_slot('system:issuer', '${person.id}'), -${OWN - EACH})
         ON CONFLICT (party, asset, slot) DO UPDATE SET amount = b.amount + EXCLUDED.amount;
       ALTER TABLE credit.flows ENABLE TRIGGER flows_apply;
       COMMIT`,
    );
    await ctx.db.query('ANALYZE credit.flows');

    const ledger = ctx.get(LedgerService);
    const sent = await statementWithValues(() => ledger.flows(person.id, { limit: 50 }), 'FROM credit.flows');
    const [{ 'QUERY PLAN': [explained] }] = await ctx.db.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(
      `EXPLAIN (ANALYZE, FORMAT JSON) ${sent.text}`,
      sent.values,
    );
    const rowsPerStep = steps(explained.Plan).map((s) => [s['Node Type'], s['Actual Rows']]);
    expect(rowsPerStep.filter(([, rows]) => Number(rows) > 51)).toEqual([]);

    const page = await ledger.flows(person.id, { limit: 50 });
    const newest = await ctx.db.query<{ id: string }>('SELECT id::text FROM credit.flows WHERE person_id = $1 ORDER BY flows.id DESC LIMIT 50', [person.id]);
    expect(page.items.map((f) => f.id)).toEqual(newest.map((r) => r.id));
    expect(page.nextCursor).not.toBeNull();
  });
});

interface PlanNode {
  'Node Type': string;
  'Actual Rows': number;
  Plans?: PlanNode[];
}
const steps = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(steps)];

/** The text and values of the one statement `work` sends that contains `marker`, as pg's Client got them. */
async function statementWithValues(work: () => Promise<unknown>, marker: string): Promise<{ text: string; values: unknown[] }> {
  const original = Client.prototype.query as (...args: unknown[]) => unknown;
  const seen: Array<{ text: string; values: unknown[] }> = [];
  const spy = jest.spyOn(Client.prototype, 'query').mockImplementation(function (this: Client, ...args: unknown[]) {
    const [sql, values] = args;
    const text = typeof sql === 'string' ? sql : (sql as { text: string }).text;
    if (text.includes(marker)) seen.push({ text, values: (Array.isArray(values) ? values : (sql as { values?: unknown[] }).values) ?? [] });
    return original.apply(this, args);
  } as never);
  try {
    await work();
  } finally {
    spy.mockRestore();
  }
  expect(seen).toHaveLength(1);
  return seen[0];
}
