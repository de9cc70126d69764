import { Transactions } from '@loomworks/database';
import { LlmCallLog } from '@loomworks/llm';
import { statementsOf } from '../support/statements';
import { converseSuite } from '../support/converse-suite';
import { type FakeRequest } from '../support/fake-anthropic';
import { type SignedIn } from '../support/test-context';

const HAIKU = 'claude-haiku-4-5-20251001';
const isClassify = (r: FakeRequest) => r.system.startsWith("Classify the user's message");

/**
 * The call log (DESIGN.md "The LLM call log and usage") over HTTP: every provider call of a turn
 * is a row, charged or absorbed; members list and sum their own, staff everyone's, the sums
 * computed by the database.
 */
describe('the LLM call log and usage', () => {
  const suite = converseSuite(5_000);
  const { fake } = suite;
  let member: SignedIn;
  let other: SignedIn;
  let staff: SignedIn;

  const converse = (who: SignedIn, message: string) =>
    suite.ctx.http().post(`/engagements/${who.person.personalEngagementId}/converse`).set(suite.ctx.as(who)).send({ message });
  const get = (who: SignedIn, path: string) => suite.ctx.http().get(path).set(suite.ctx.as(who));

  beforeAll(async () => {
    member = await suite.ctx.signedInPerson({ credit: { asset: 'haiku', amount: 1000n } });
    other = await suite.ctx.signedInPerson({ credit: { asset: 'haiku', amount: 1000n } });
    staff = await suite.ctx.admin();
    fake.reset();
    await converse(member, 'first').expect(200);
    suite.ctx.clock.advanceDays(1);
    await converse(member, 'second').expect(200);
    // the respond call fails: the classify the provider billed is absorbed (charged to nobody)
    fake.reset({ failWith: (r) => (isClassify(r) ? undefined : 500) });
    await converse(member, 'third').expect(502);
    fake.reset();
    await converse(other, 'not yours').expect(200);
  });

  it("lists a member's own calls, newest first, as LlmCallView, page by page", async () => {
    const all = (await get(member, '/me/llm-calls').expect(200)).body;
    expect(all.nextCursor).toBeNull();
    expect(all.items).toHaveLength(6);
    // newest first (the test clock stands still within a day, so same-instant rows come in id order)
    const startedAt = all.items.map((c: { startedAt: string }) => c.startedAt);
    expect([...startedAt].sort().reverse()).toEqual(startedAt);
    const rows = all.items.map((c: { stage: string; status: string; charged: number }) => `${c.stage} ${c.status} ${c.charged}`);
    expect([...rows].sort()).toEqual(['classify ok 0', 'classify ok 1', 'classify ok 1', 'respond failed 0', 'respond ok 3', 'respond ok 3']);
    const charged = all.items.find((c: { stage: string; status: string }) => c.stage === 'respond' && c.status === 'ok');
    const failed = all.items.find((c: { status: string }) => c.status === 'failed');
    expect(charged).toEqual({
      id: expect.any(String),
      source: 'converse',
      turnId: expect.any(String),
      stage: 'respond',
      engagementId: member.person.personalEngagementId,
      apiKeyId: null,
      model: HAIKU,
      status: 'ok',
      usage: { input: 1200, output: 340, cacheRead: 0, cacheWrite: 0 },
      asset: 'haiku',
      held: expect.any(Number),
      charged: 3,
      startedAt: expect.any(String),
      finishedAt: expect.any(String),
    });
    expect(failed.usage).toBeNull();

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { items: { id: string }[]; nextCursor: string | null } } = await get(member, `/me/llm-calls?limit=4${cursor ? `&cursor=${cursor}` : ''}`).expect(200);
      seen.push(...page.body.items.map((c) => c.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all.items.map((c: { id: string }) => c.id));
    expect((await get(other, '/me/llm-calls').expect(200)).body.items).toHaveLength(2);
    expect((await get(member, '/me/llm-calls?cursor=bm90LWEtY3Vyc29y').expect(400)).body.error).toBe('validation_failed');
  });

  it('sums usage per day or per model in the database, within a time range', async () => {
    const byModel = (await get(member, '/me/usage?groupBy=model').expect(200)).body;
    expect(byModel).toEqual({ items: [{ key: HAIKU, calls: 6, inputTokens: 300 * 3 + 1200 * 2, outputTokens: 2 * 3 + 340 * 2, credits: 8 }] });
    const byDay = (await get(member, '/me/usage').expect(200)).body.items;
    expect(byDay).toEqual([
      { key: '2026-06-01', calls: 2, inputTokens: 1500, outputTokens: 342, credits: 4 },
      { key: '2026-06-02', calls: 4, inputTokens: 1800, outputTokens: 344, credits: 4 },
    ]);
    const secondDay = (await get(member, '/me/usage?groupBy=day&from=2026-06-02T00:00:00Z&to=2026-06-03T00:00:00Z').expect(200)).body.items;
    expect(secondDay.map((g: { key: string }) => g.key)).toEqual(['2026-06-02']);
    for (const bad of ['groupBy=payer', 'groupBy=week', 'from=yesterday', 'to=2026-13-01T00:00:00Z']) {
      const res = await get(member, `/me/usage?${bad}`).expect(400);
      expect(res.body).toMatchObject({ statusCode: 400, error: 'validation_failed' });
    }
  });

  it("gives staff everyone's calls, filtered, and the absorbed calls per payer", async () => {
    const mine = (await get(staff, `/admin/llm-calls?personId=${member.person.id}`).expect(200)).body.items;
    expect(mine).toHaveLength(6);
    expect(mine.every((c: { personId: string }) => c.personId === member.person.id)).toBe(true);
    const failed = (await get(staff, '/admin/llm-calls?status=failed').expect(200)).body.items;
    expect(failed.map((c: { personId: string; stage: string }) => [c.personId, c.stage])).toEqual([[member.person.id, 'respond']]);
    expect((await get(staff, `/admin/llm-calls?model=${HAIKU}&engagementId=${other.person.personalEngagementId}`).expect(200)).body.items).toHaveLength(2);

    const byPayer = (await get(staff, '/admin/usage?groupBy=payer').expect(200)).body.items;
    expect(byPayer).toEqual(
      expect.arrayContaining([
        { key: `person:${member.person.id}`, calls: 6, inputTokens: 3300, outputTokens: 686, credits: 8, absorbedCalls: 1 },
        { key: `person:${other.person.id}`, calls: 2, inputTokens: 1500, outputTokens: 342, credits: 4, absorbedCalls: 0 },
      ]),
    );
    const forOther = (await get(staff, `/admin/usage?groupBy=model&personId=${other.person.id}`).expect(200)).body.items;
    expect(forOther).toEqual([{ key: HAIKU, calls: 2, inputTokens: 1500, outputTokens: 342, credits: 4, absorbedCalls: 0 }]);
    expect((await get(staff, '/admin/llm-calls?status=lost').expect(400)).body.error).toBe('validation_failed');
    expect((await get(staff, '/admin/usage?personId=42').expect(400)).body.error).toBe('validation_failed');
    expect((await get(member, '/admin/llm-calls').expect(403)).body.error).toBe('forbidden');
    expect((await get(member, '/admin/usage').expect(403)).body.error).toBe('forbidden');
  });

  it('logs a call nobody is charged for through the one-call API (as the Messages API will)', async () => {
    const log = suite.ctx.get(LlmCallLog);
    suite.ctx.clock.advanceSeconds(60); // after the turns, so it is the newest
    const at = suite.ctx.clock.now();
    const [id] = await log.record({
      source: 'messages',
      keySource: 'system',
      payer: null,
      personId: other.person.id,
      model: HAIKU,
      status: 'failed',
      usage: { input: 10, output: 0, cacheRead: 0, cacheWrite: 0 },
      charged: 0n,
      startedAt: at,
      finishedAt: at,
    });
    const [row] = (await get(other, '/me/llm-calls?limit=1').expect(200)).body.items;
    expect(row).toMatchObject({ id, source: 'messages', stage: null, turnId: null, status: 'failed', held: null, charged: 0 });
    const none = (await get(staff, '/admin/usage?groupBy=payer').expect(200)).body.items.find((g: { key: string }) => g.key === 'none');
    expect(none).toEqual({ key: 'none', calls: 1, inputTokens: 10, outputTokens: 0, credits: 0, absorbedCalls: 1 });
  });

  it("finds a turn's stage by index to refund it, not by a scan of the growing log", async () => {
    // a log where a scan costs: 5,000 other turns' calls, and statistics that know it
    await suite.ctx.db.query(
      `INSERT INTO llm_calls (id, source, person_id, turn_id, stage, key_source, model, status, started_at, finished_at)
       SELECT gen_random_uuid(), 'converse', $1, gen_random_uuid(), 'respond', 'system', $2, 'failed', now(), now() FROM generate_series(1, 5000)`,
      [other.person.id, HAIKU],
    );
    await suite.ctx.db.query('ANALYZE llm_calls');
    const log = suite.ctx.get(LlmCallLog);
    const [call] = await suite.ctx.db.query<{ turn_id: string }>('SELECT turn_id FROM llm_calls WHERE person_id = $1 AND turn_id IS NOT NULL AND status = $2 LIMIT 1', [member.person.id, 'ok']);
    // the statement a stage's refund sends, as it sends it (rolled back: nothing refunded)
    const sent = await statementsOf(() =>
      suite.ctx.get(Transactions).run(async (tx) => {
        await log.addRefund(tx, { turnId: call.turn_id, stage: 'respond' }, 0n);
      }),
    );
    const update = sent.find((sql) => sql.startsWith('UPDATE llm_calls'))!;
    const plan = (await suite.ctx.db.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${update}`, [call.turn_id, 'respond', '0'])).map((r) => r['QUERY PLAN']).join('\n');
    expect(plan).toMatch(/llm_calls_turn_idx/);
    expect(plan).not.toMatch(/Seq Scan on llm_calls/);
  });
});
