import { statementsOf } from '../support/statements';
import { TestContext, type SignedIn } from '../support/test-context';

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  'Actual Rows': number;
  'Actual Loops': number;
  'Rows Removed by Filter'?: number;
  Plans?: PlanNode[];
}

function* nodesOf(node: PlanNode): Generator<PlanNode> {
  yield node;
  for (const child of node.Plans ?? []) yield* nodesOf(child);
}

/**
 * A team pool's page of flows (GET /admin/engagements/:id/credit, what staff refund from) costs a
 * page, not the pool's history: each side of the pool's flows is read newest first from its
 * partial index and the two pages merged (migration PoolHistoryIndexes).
 */
describe("a team pool's flows, newest first, read a page at a time", () => {
  let ctx: TestContext;
  let admin: SignedIn;
  let owner: SignedIn;
  let pool: string;
  const FLOWS = 2000;

  beforeAll(async () => {
    ctx = await TestContext.create();
    admin = await ctx.admin();
    owner = await ctx.signedInPerson();
    const team = await ctx.http().post('/engagements').set(ctx.as(owner)).send({ name: 'Big pool' }).expect(201);
    pool = `engagement:${team.body.id as string}`;
    // A history where reading all of it costs: fundings into the pool and debits out of it,
    // alternating by id (odd: in, even: out), through the one flow writer.
    await ctx.db.query(
      `WITH g AS (SELECT g, g % 2 = 1 AS funding FROM generate_series(1, $2::int) g)
       SELECT count(*) FROM credit.write_flows(
         p_kinds => array_fill('adjustment'::text, ARRAY[$2::int]), p_assets => array_fill('haiku'::text, ARRAY[$2::int]),
         p_amounts => array_fill(1::bigint, ARRAY[$2::int]),
         p_from => ARRAY(SELECT CASE WHEN funding THEN 'system:issuer' ELSE $1 END FROM g ORDER BY g),
         p_to => ARRAY(SELECT CASE WHEN funding THEN $1 ELSE 'system:issuer' END FROM g ORDER BY g),
         p_persons => array_fill(NULL::uuid, ARRAY[$2::int]),
         p_keys => ARRAY(SELECT 'pool-history:' || g FROM g ORDER BY g),
         p_metadata => array_fill('{}'::jsonb, ARRAY[$2::int]), p_at => now(), p_grants => array_fill(NULL::uuid, ARRAY[$2::int]))`,
      [pool, FLOWS],
    );
    // and the rest of a ledger written since, where walking all flows newest first costs too
    const other = await ctx.signedInPerson();
    await ctx.db.query(
      `SELECT count(*) FROM credit.write_flows(
         p_kinds => array_fill('adjustment'::text, ARRAY[$3::int]), p_assets => array_fill('haiku'::text, ARRAY[$3::int]),
         p_amounts => array_fill(1::bigint, ARRAY[$3::int]), p_from => array_fill('system:issuer'::text, ARRAY[$3::int]),
         p_to => array_fill($1::text, ARRAY[$3::int]), p_persons => array_fill($2::uuid, ARRAY[$3::int]),
         p_keys => ARRAY(SELECT 'pool-history-other:' || g FROM generate_series(1, $3::int) g),
         p_metadata => array_fill('{}'::jsonb, ARRAY[$3::int]), p_at => now(), p_grants => array_fill(NULL::uuid, ARRAY[$3::int]))`,
      [`person:${other.person.id}`, other.person.id, 4 * FLOWS],
    );
    await ctx.db.query('ANALYZE credit.flows');
  }, 120_000);
  afterAll(() => ctx.close());

  const page = (query: string) => ctx.app.getHttpAdapter().getInstance().inject({ method: 'GET', url: `/admin/engagements/${pool.slice('engagement:'.length)}/credit${query}`, headers: ctx.as(admin) });

  it('pages through both sides of the pool in id order, each flow once', async () => {
    const expected = (await ctx.db.query<{ id: string }>('SELECT id::text AS id FROM credit.flows WHERE from_party = $1 OR to_party = $1 ORDER BY flows.id DESC LIMIT 120', [pool])).map((f) => f.id);
    const seen: string[] = [];
    let cursor = '';
    while (seen.length < 120) {
      const res = await page(`?limit=40${cursor}`);
      expect(res.statusCode).toBe(200);
      const body = res.json<{ flows: { id: string }[]; nextCursor: string }>();
      seen.push(...body.flows.map((f) => f.id));
      cursor = `&cursor=${encodeURIComponent(body.nextCursor)}`;
    }
    expect(seen).toEqual(expected);
  });

  it('reads a page of each side from its index, not the whole history', async () => {
    const sent = await statementsOf(async () => expect((await page('?limit=50')).statusCode).toBe(200));
    const statement = sent.find((sql) => sql.includes('FROM credit.flows') && sql.includes('from_party = $1'));
    expect(statement).toBeDefined();
    const [{ 'QUERY PLAN': [explained] }] = await ctx.db.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(`EXPLAIN (ANALYZE, FORMAT JSON) ${statement}`, [pool, null, 51]);
    const nodes = [...nodesOf(explained.Plan)];
    // no step handles more than a page of each side, filtered rows included (1,000 flows of each side and 8,000 others are there)
    const handled = (n: PlanNode) => (n['Actual Rows'] + (n['Rows Removed by Filter'] ?? 0)) * n['Actual Loops'];
    expect(Math.max(...nodes.map(handled))).toBeLessThanOrEqual(2 * 51);
    expect(nodes.filter((n) => n['Index Name']).map((n) => n['Index Name']).sort()).toEqual(['flows_from_pool_idx', 'flows_to_pool_idx']);
    await ctx.expectLedgerConsistent();
  });
});
