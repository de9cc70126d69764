import { HoldsService, LedgerService, LifecycleService } from '@loomworks/credit/staff';
import { Transactions } from '@loomworks/database';
import { SystemConfigService } from '@loomworks/system-config';
import { TestContext, type SignedIn, waitFor } from '../support/test-context';
import { FakeAnthropic, type FakeRequest } from '../support/fake-anthropic';
import { statementsOf } from '../support/statements';

const isClassify = (r: FakeRequest) => r.system.startsWith("Classify the user's message");
/** A provider that reports the most it truthfully could: a token per byte sent, every max_token used. */
const truthfulWorstCase = (r: FakeRequest) => ({
  input_tokens: Buffer.byteLength(r.system) + r.messages.reduce((n, m) => n + Buffer.byteLength(m.content), 0),
  output_tokens: r.maxTokens,
});

describe('holds make overspending impossible (system-key turns over HTTP)', () => {
  const fake = new FakeAnthropic();
  let ctx: TestContext;

  beforeAll(async () => {
    await fake.start();
    ctx = await TestContext.create({ env: { ANTHROPIC_BASE_URL: fake.url, ANTHROPIC_MAX_RETRIES: '0', ANTHROPIC_TIMEOUT_MS: '60000' } });
    await ctx.get(SystemConfigService).set('anthropic_api_key', 'system-key');
  });
  afterEach(() => ctx.expectLedgerConsistent());
  afterAll(async () => {
    await ctx.close();
    await fake.stop();
  });

  const converse = (who: SignedIn, message: string) =>
    ctx.http().post(`/engagements/${who.person.personalEngagementId}/converse`).set(ctx.as(who)).send({ message });
  const funded = (asset: string, amount: bigint) => ctx.signedInPerson({ credit: { asset, amount } });
  const balance = (who: SignedIn) => ctx.get(LedgerService).balance(who.person.id, 'haiku');
  const activeHolds = (who: SignedIn) => ctx.db.query("SELECT id FROM credit.holds WHERE person_id = $1 AND status = 'active'", [who.person.id]);

  it.each([1, 2, 3])('30 parallel turns of a person whose balance covers 3 never spend more than it (round %i)', async () => {
    fake.reset({ usage: truthfulWorstCase, latencyMs: 20 });
    // One full turn's hold is 7 haiku credits (classify 1 + respond 6 at max_tokens 1024): 3 turns' worth.
    const who = await funded('haiku', 21n);
    // Open the pool's connections first: on the loaded test machine a burst of fresh connects
    // can exceed the pool's 3 s connect timeout, which would test the machine, not the holds.
    await Promise.all(Array.from({ length: 20 }, () => ctx.get(Transactions).manager.query('SELECT pg_sleep(0.2)')));
    const lowest: bigint[] = [];
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => converse(who, `parallel turn ${i}`).then(async (r) => {
      lowest.push(await balance(who));
      return r;
    })));
    const outcomes = results.map((r) => (r.status === 200 ? r.body.status : `${r.status} ${r.body.error}`));
    for (const outcome of outcomes) expect(['ok', 'credit_exhausted', '429 turns_in_flight']).toContain(outcome);
    const charged = results.filter((r) => r.status === 200 && r.body.status === 'ok').reduce((sum, r) => sum + r.body.credit.charged, 0);
    expect(outcomes.filter((o) => o === 'ok').length).toBeGreaterThanOrEqual(1);
    expect(charged).toBeLessThanOrEqual(21);
    expect(await balance(who)).toBe(21n - BigInt(charged));
    for (const b of lowest) expect(b).toBeGreaterThanOrEqual(0n);
    for (const r of results.filter((x) => x.status === 200 && x.body.status === 'ok')) {
      expect(r.body.credit.charged).toBeLessThanOrEqual(r.body.credit.held);
      expect(r.body.credit.balanceAfter).toBeGreaterThanOrEqual(0);
    }
    expect(await activeHolds(who)).toEqual([]);
    const consumed = await ctx.db.query<{ n: number }>("SELECT coalesce(sum(amount), 0)::int AS n FROM credit.flows WHERE person_id = $1 AND kind = 'consumption'", [who.person.id]);
    expect(consumed).toEqual([{ n: charged }]);
  }, 180_000);

  it('a rate change mid-turn (PUT /admin/rates) applies to later holds: the turn is charged at the rates it was held at', async () => {
    const staff = await ctx.admin();
    const who = await funded('sonnet', 100n);
    const SONNET = 'claude-sonnet-4-6';
    fake.reset({ usage: truthfulWorstCase, latencyMs: 300 });
    const turn = converse(who, 'a question while staff reprice sonnet').then((r) => r); // sent now, awaited below
    await waitFor(() => fake.requests.some((r) => r.model === SONNET));
    await ctx.http().put('/admin/rates').set(ctx.as(staff)).send({ model: SONNET, tokenKind: 'output', creditsPerMillion: 150000 }).expect(200);
    try {
      const res = await turn;
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ status: 'ok' });
      expect(res.body.credit.charged).toBeLessThanOrEqual(res.body.credit.held);
      expect(res.body.credit.balanceAfter).toBeGreaterThanOrEqual(0);
      const flows = await ctx.db.query<{ metadata: Record<string, unknown> }>(
        "SELECT metadata FROM credit.flows WHERE person_id = $1 AND kind = 'consumption'", [who.person.id]);
      expect(flows.filter((f) => 'holdExceeded' in f.metadata)).toEqual([]);
      // the next turn is held and charged at the new rate
      const next = await converse(who, 'and now?').expect(200);
      expect(next.body.credit.held).toBeGreaterThan(res.body.credit.held);
    } finally {
      await ctx.http().put('/admin/rates').set(ctx.as(staff)).send({ model: SONNET, tokenKind: 'output', creditsPerMillion: 15000 }).expect(200);
    }
  });

  it('records and charges a reply with a NUL in it (U+0000 stored and answered as U+FFFD)', async () => {
    const who = await funded('haiku', 1000n);
    fake.reset({ text: (r) => (isClassify(r) ? 'question' : 'before\u0000after\u0000') });
    const res = await converse(who, 'say something odd').expect(200);
    expect(res.body).toMatchObject({ status: 'ok', reply: 'before\uFFFDafter\uFFFD' });
    expect(res.body.credit.charged).toBeGreaterThan(0);
    const stored = await ctx.db.query<{ content: string }>(
      "SELECT t.content FROM turns t JOIN conversations c ON c.id = t.conversation_id WHERE c.id = $1 AND t.role = 'assistant'", [res.body.conversationId]);
    expect(stored).toEqual([{ content: 'before\uFFFDafter\uFFFD' }]);
    const charged = await ctx.db.query<{ n: number }>("SELECT coalesce(sum(amount), 0)::int AS n FROM credit.flows WHERE person_id = $1 AND kind = 'consumption'", [who.person.id]);
    expect(charged).toEqual([{ n: res.body.credit.charged }]);
    expect(await activeHolds(who)).toEqual([]);
  });

  it('spends one statement to place the hold and one to settle it, in the one transaction that records the turn', async () => {
    const who = await funded('haiku', 1000n);
    fake.reset({});
    await converse(who, 'warm the settings').expect(200);
    const statements = await statementsOf(async () => {
      const res = await ctx.app.getHttpAdapter().getInstance().inject({
        method: 'POST',
        url: `/engagements/${who.person.personalEngagementId}/converse`,
        headers: { ...ctx.as(who), 'content-type': 'application/json' },
        payload: JSON.stringify({ message: 'count my statements' }),
      });
      expect(res.json()).toMatchObject({ status: 'ok', credit: { charged: expect.any(Number) } });
    });
    expect(statements.filter((sql) => /credit\./.test(sql))).toEqual([expect.stringContaining('credit.place_hold'), expect.stringContaining('credit.settle_hold')]);
    expect(statements.filter((sql) => sql.startsWith('START TRANSACTION'))).toHaveLength(1);
  });

  it('lets an in-flight turn settle when the account is suspended meanwhile', async () => {
    const who = await funded('haiku', 100n);
    fake.reset({ latencyMs: 300 });
    const turn = converse(who, 'suspend me mid-turn').then((r) => r);
    await waitFor(() => fake.requests.length >= 1);
    await ctx.get(LifecycleService).suspend(who.person.id);
    const res = await turn;
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ok', credit: { charged: 4, balanceAfter: 96 } });
    expect(await activeHolds(who)).toEqual([]);
    fake.reset();
    expect((await converse(who, 'and now?').expect(200)).body.status).toBe('account_suspended');
  });

  it('settles a turn in flight when the account is deleted meanwhile, and zeroes what the hold returns', async () => {
    const who = await funded('haiku', 100n);
    fake.reset({ latencyMs: 300 });
    const turn = converse(who, 'delete me mid-turn').then((r) => r);
    await waitFor(() => fake.requests.length >= 1);
    await ctx.get(LifecycleService).delete(who.person.id);
    const res = await turn;
    expect(res.status).toBe(200);
    expect(res.body.credit).toMatchObject({ charged: 4, balanceAfter: 0 });
    expect(await balance(who)).toBe(0n);
    expect(await activeHolds(who)).toEqual([]);
    const flows = await ctx.db.query<{ kind: string; amount: string }>('SELECT kind, amount::text FROM credit.flows WHERE person_id = $1 ORDER BY id', [who.person.id]);
    expect(flows.map((f) => f.kind)).toEqual(['issuance', 'hold', 'zeroing', 'release', 'consumption', 'consumption', 'zeroing']);
  });

  it('releases at once when the LLM fails after the classify stage answered: nothing charged', async () => {
    const who = await funded('haiku', 100n);
    fake.reset({ failWith: (r) => (isClassify(r) ? undefined : 500) });
    const res = await converse(who, 'fail on respond').expect(502);
    expect(res.body.error).toBe('llm_error');
    expect(fake.requests).toHaveLength(2);
    expect(await activeHolds(who)).toEqual([]);
    expect(await balance(who)).toBe(100n);
    expect(await ctx.db.query("SELECT 1 FROM credit.flows WHERE person_id = $1 AND kind = 'consumption'", [who.person.id])).toHaveLength(0);
  });

  it('expires the hold of a turn that never came back (sweeper), nothing charged, nothing leaked', async () => {
    const who = await funded('haiku', 100n);
    const holds = ctx.get(HoldsService);
    const placed = await holds.place({ personId: who.person.id, turnId: '00000000-0000-4000-a000-000000000001', classify: { inputTokens: 100, maxTokens: 10 }, respond: { inputTokens: 100, maxTokens: 1024 } });
    expect(placed.status).toBe('placed');
    expect(await balance(who)).toBe(93n);
    ctx.clock.set(new Date(ctx.clock.now().getTime() + 601_000));
    try {
      expect(await holds.sweepExpired()).toBe(1);
    } finally {
      ctx.clock.set(new Date(ctx.clock.now().getTime() - 601_000));
    }
    expect(await balance(who)).toBe(100n);
    expect(await activeHolds(who)).toEqual([]);
  });
});
