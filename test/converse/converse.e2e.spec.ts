import { CREDIT_SEAM } from '@loomworks/credit';
import { LedgerService } from '@loomworks/credit/staff';
import { PermissiveCreditSeam } from '@loomworks/credit/testing';
import { LifecycleService } from '@loomworks/credit/staff';
import { ConverseService } from '@loomworks/orchestration';
import { PersonsService } from '@loomworks/persons';
import { SystemConfigService } from '@loomworks/system-config';
import { TestContext, type SignedIn, waitFor } from '../support/test-context';
import { FakeAnthropic, type FakeRequest, type FakeUsage } from '../support/fake-anthropic';

const HAIKU = 'claude-haiku-4-5-20251001';
const SONNET = 'claude-sonnet-4-6';
// credits per million tokens (seeded): [input, output, cacheRead, cacheWrite]
const RATES: Record<string, [number, number, number, number]> = {
  [HAIKU]: [1000, 5000, 100, 1250],
  [SONNET]: [3000, 15000, 300, 3750],
};
/** An independent statement of DESIGN.md's rule: per stage, ceil(Σ tokens × rate / 10^6). */
function expectedCredits(model: string, u: FakeUsage): number {
  const [i, o, r, w] = RATES[model];
  const micro = u.input_tokens * i + u.output_tokens * o + (u.cache_read_input_tokens ?? 0) * r + (u.cache_creation_input_tokens ?? 0) * w;
  return Math.ceil(micro / 1_000_000);
}
const isClassify = (r: FakeRequest) => r.system.startsWith("Classify the user's message");

/**
 * DESIGN.md's hold, stated independently: per stage, input ≤ UTF-8 bytes sent + 32 + 8 per
 * message, priced at the highest input/cache rate; output ≤ max_tokens; each stage rounded up.
 */
const CLASSIFIER_PROMPT = "Classify the user's message. Answer with exactly one word from: question, task, feedback, smalltalk.";
const LONGEST_RESPONDER_PROMPT = 'Acknowledge the feedback and say what you will do with it.'; // 58 bytes
function expectedHold(responder: string, message: string, respondMaxTokens = 1024, history: string[] = []): number {
  const bytes = (texts: string[]) => texts.reduce((n, t) => n + Buffer.byteLength(t), 0);
  const stage = (model: string, inputTokens: number, maxTokens: number) => {
    const [i, o, r, w] = RATES[model];
    return Math.ceil((inputTokens * Math.max(i, r, w) + maxTokens * o) / 1_000_000);
  };
  return stage(HAIKU, bytes([CLASSIFIER_PROMPT, message]) + 32 + 8, 10) +
    stage(responder, bytes([LONGEST_RESPONDER_PROMPT, ...history, message]) + 32 + 8 * (history.length + 1), respondMaxTokens);
}

describe('converse over HTTP against a fake Messages API', () => {
  const fake = new FakeAnthropic();
  let ctx: TestContext;

  beforeAll(async () => {
    await fake.start();
    ctx = await TestContext.create({ env: { ANTHROPIC_BASE_URL: fake.url, ANTHROPIC_MAX_RETRIES: '0', ANTHROPIC_TIMEOUT_MS: '3000' } });
  });
  beforeEach(async () => {
    fake.reset();
    await ctx.get(SystemConfigService).set('anthropic_api_key', 'system-key');
  });
  afterEach(() => ctx.expectLedgerConsistent());
  afterAll(async () => {
    await ctx.close();
    await fake.stop();
  });

  const converse = (who: SignedIn, body: object, engagementId = who.person.personalEngagementId) =>
    ctx.http().post(`/engagements/${engagementId}/converse`).set(ctx.as(who)).send(body);
  const funded = (asset: string, amount: bigint) => ctx.signedInPerson({ credit: { asset, amount } });
  const balance = (who: SignedIn, asset: string) => ctx.get(LedgerService).balance(who.person.id, asset);

  it('answers a system-key turn routed to the tier, charged at each stage\'s model rates', async () => {
    const who = await funded('sonnet', 1000n);
    const res = await converse(who, { message: 'What is a ledger?' }).expect(200);
    expect(res.body).toEqual({
      status: 'ok',
      conversationId: expect.any(String),
      turnId: expect.any(String),
      intent: 'question',
      reply: 'Echo: What is a ledger?',
      keySource: 'system',
      models: { classifier: HAIKU, responder: SONNET },
      tokenUsage: {
        classify: { input: 300, output: 2, cacheRead: 0, cacheWrite: 0 },
        respond: { input: 1200, output: 340, cacheRead: 0, cacheWrite: 0 },
        total: { input: 1500, output: 342, cacheRead: 0, cacheWrite: 0 },
      },
      credit: { asset: 'sonnet', held: expectedHold(SONNET, 'What is a ledger?'), charged: 1 + 9, balanceAfter: 990 },
    });
    expect(expectedHold(SONNET, 'What is a ledger?')).toBe(17);
    // The hold went back and the turn was charged, in the transaction that recorded it.
    const flows = await ctx.db.query<{ kind: string; amount: string }>('SELECT kind, amount::text FROM credit.flows WHERE person_id = $1 ORDER BY id', [who.person.id]);
    expect(flows.map((f) => [f.kind, Number(f.amount)])).toEqual([['issuance', 1000], ['hold', 17], ['release', 17], ['consumption', 1], ['consumption', 9]]);
    expect(await ctx.db.query('SELECT status FROM credit.holds WHERE person_id = $1', [who.person.id])).toEqual([{ status: 'settled' }]);
    expect(fake.requests.map((r) => [r.apiKey, r.model])).toEqual([['system-key', HAIKU], ['system-key', SONNET]]);
    expect(await balance(who, 'sonnet')).toBe(990n);
  });

  it.each<[FakeUsage]>([
    [{ input_tokens: 1, output_tokens: 0 }],
    [{ input_tokens: 999, output_tokens: 1 }],
    [{ input_tokens: 12_345, output_tokens: 6_789, cache_read_input_tokens: 50_000, cache_creation_input_tokens: 4_321 }],
    [{ input_tokens: 180_000, output_tokens: 64_000 }],
  ])('charges exactly the oracle for the usage the fake reported: %j', async (usage) => {
    const who = await funded('sonnet', 100_000n);
    fake.reset({ usage: (r) => (isClassify(r) ? { input_tokens: 77, output_tokens: 1 } : usage) });
    const res = await converse(who, { message: 'price me' }).expect(200);
    const expected = expectedCredits(HAIKU, { input_tokens: 77, output_tokens: 1 }) + expectedCredits(SONNET, usage);
    expect(res.body.credit).toEqual({ asset: 'sonnet', held: expectedHold(SONNET, 'price me'), charged: expected, balanceAfter: 100_000 - expected });
    expect(res.body.tokenUsage.respond).toEqual({
      input: usage.input_tokens, output: usage.output_tokens, cacheRead: usage.cache_read_input_tokens ?? 0, cacheWrite: usage.cache_creation_input_tokens ?? 0,
    });
  });

  it('lowers the responder max_tokens to what the credit covers, then refuses below the minimum without calling the LLM', async () => {
    const who = await funded('haiku', 10n); // each turn charged classify 1 + respond ceil(1.2 + 1.7) = 3 → 4
    const first = (await converse(who, { message: 'turn 0' }).expect(200)).body.credit;
    expect(first).toEqual({ asset: 'haiku', held: expectedHold(HAIKU, 'turn 0'), charged: 4, balanceAfter: 6 });
    expect(fake.requests.find((r) => !isClassify(r))!.maxTokens).toBe(1024);
    fake.reset();
    // 6 credits: classify's bound takes 1, and 5 buy floor((5·10^6 − 104 tokens × 1250) / 5000) = 974 output tokens.
    const second = (await converse(who, { message: 'turn 1' }).expect(200)).body.credit;
    expect(fake.requests.find((r) => !isClassify(r))!.maxTokens).toBe(974);
    expect(second).toEqual({ asset: 'haiku', held: expectedHold(HAIKU, 'turn 1', 974), charged: 4, balanceAfter: 2 });
    fake.reset();
    // 2 credits would buy 174 output tokens, below converse_min_response_tokens (256).
    const refused = await converse(who, { message: 'one more' }).expect(200);
    expect(refused.body).toEqual({
      status: 'credit_exhausted', conversationId: null, keySource: 'system',
      tokenUsage: { classify: zero, respond: zero, total: zero },
    });
    expect(fake.requests).toHaveLength(0);
    expect(await balance(who, 'haiku')).toBe(2n);
  });

  it('falls back to the next tier whose balance can carry the turn (1 opus credit beside haiku credits buys a haiku turn)', async () => {
    const who = await funded('haiku', 10_000n);
    const admin = ctx.get(LedgerService);
    await admin.adjust({ personId: who.person.id, asset: 'opus', amount: 1n, reason: 'a single opus credit', actorPersonId: null });
    const res = await converse(who, { message: 'which tier?' }).expect(200);
    expect(res.body).toMatchObject({ status: 'ok', models: { classifier: HAIKU, responder: HAIKU }, credit: { asset: 'haiku', charged: 4 } });
    expect(await balance(who, 'opus')).toBe(1n);
  });

  it('charges parallel turns of one person exactly, each once', async () => {
    const who = await funded('haiku', 1000n);
    await ctx.get(SystemConfigService).set('max_turns_in_flight', 8);
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => converse(who, { message: `parallel ${i}` })));
    expect(results.map((r) => r.status)).toEqual(Array(8).fill(200));
    expect(await balance(who, 'haiku')).toBe(1000n - 8n * 4n);
    expect(results.map((r) => r.body.credit.charged)).toEqual(Array(8).fill(4));
    // Each answer's balance is what is spendable at its settlement (other turns' holds still out).
    for (const r of results) expect(r.body.credit.balanceAfter).toBeLessThanOrEqual(996);
    expect(await ctx.db.query("SELECT 1 FROM credit.holds WHERE person_id = $1 AND status = 'active'", [who.person.id])).toHaveLength(0);
    await ctx.get(SystemConfigService).unset('max_turns_in_flight');
  });

  it('answers account_suspended for a suspended person (system key), without an LLM call', async () => {
    const who = await funded('haiku', 100n);
    await ctx.get(LifecycleService).suspend(who.person.id);
    const res = await converse(who, { message: 'hello?' }).expect(200);
    expect(res.body.status).toBe('account_suspended');
    expect(fake.requests).toHaveLength(0);
    expect(await balance(who, 'haiku')).toBe(100n);
  });

  it('answers account_deleted for a deleted person (system key), without an LLM call', async () => {
    const who = await funded('haiku', 100n);
    await ctx.get(LifecycleService).delete(who.person.id);
    const person = await ctx.get(PersonsService).getById(who.person.id);
    // Over HTTP a deleted person has no session left; the gate is checked below that.
    const res = await ctx.get(ConverseService).converse({ person, engagementId: person.personalEngagementId, message: 'hello?' });
    expect(res.status).toBe('account_deleted');
    expect(fake.requests).toHaveLength(0);
  });

  it('uses the person\'s own key with the default models and charges nothing', async () => {
    const who = await funded('opus', 50n);
    await ctx.http().put('/me/llm-key').set(ctx.as(who)).send({ provider: 'anthropic', apiKey: 'person-key' }).expect(204);
    const res = await converse(who, { message: 'mine' }).expect(200);
    expect(res.body).toMatchObject({ status: 'ok', keySource: 'person', models: { classifier: HAIKU, responder: SONNET } });
    expect(res.body.credit).toBeUndefined();
    expect(fake.requests.map((r) => r.apiKey)).toEqual(['person-key', 'person-key']);
    expect(await balance(who, 'opus')).toBe(50n);
    expect(await ctx.db.query("SELECT 1 FROM credit.flows WHERE person_id = $1 AND kind = 'consumption'", [who.person.id])).toHaveLength(0);
  });

  it('prefers the engagement\'s operator key over the person\'s, and only owners may set it', async () => {
    const owner = await ctx.signedInPerson();
    await ctx.http().put('/me/llm-key').set(ctx.as(owner)).send({ provider: 'anthropic', apiKey: 'person-key' }).expect(204);
    const engagement = owner.person.personalEngagementId;
    const stranger = await ctx.signedInPerson();
    await ctx.http().put(`/engagements/${engagement}/llm-key`).set(ctx.as(stranger)).send({ provider: 'anthropic', apiKey: 'x' }).expect(403);
    await ctx.http().put(`/engagements/${engagement}/llm-key`).set(ctx.as(owner)).send({ provider: 'anthropic', apiKey: 'operator-key' }).expect(204);
    const res = await converse(owner, { message: 'operator pays' }).expect(200);
    expect(res.body.keySource).toBe('operator');
    expect(fake.requests.map((r) => r.apiKey)).toEqual(['operator-key', 'operator-key']);
  });

  it('lets the owner remove the operator key (DELETE), and account deletion clears it', async () => {
    const owner = await ctx.signedInPerson();
    const engagement = owner.person.personalEngagementId;
    const operatorKey = async () =>
      (await ctx.db.query<{ llm_key_encrypted: string | null }>('SELECT llm_key_encrypted FROM engagements WHERE id = $1', [engagement]))[0].llm_key_encrypted;
    await ctx.http().put('/me/llm-key').set(ctx.as(owner)).send({ provider: 'anthropic', apiKey: 'person-key' }).expect(204);
    await ctx.http().put(`/engagements/${engagement}/llm-key`).set(ctx.as(owner)).send({ provider: 'anthropic', apiKey: 'operator-key' }).expect(204);

    const stranger = await ctx.signedInPerson();
    await ctx.http().delete(`/engagements/${engagement}/llm-key`).set(ctx.as(stranger)).expect(403);
    await ctx.http().delete('/engagements/not-a-uuid/llm-key').set(ctx.as(owner)).expect(400);
    await ctx.http().delete(`/engagements/${engagement}/llm-key`).expect(401);
    expect(await operatorKey()).not.toBeNull();

    await ctx.http().delete(`/engagements/${engagement}/llm-key`).set(ctx.as(owner)).expect(204);
    expect(await operatorKey()).toBeNull();
    const res = await converse(owner, { message: 'who pays now?' }).expect(200);
    expect(res.body.keySource).toBe('person');
    // removing again is fine
    await ctx.http().delete(`/engagements/${engagement}/llm-key`).set(ctx.as(owner)).expect(204);

    await ctx.http().put(`/engagements/${engagement}/llm-key`).set(ctx.as(owner)).send({ provider: 'anthropic', apiKey: 'operator-key-2' }).expect(204);
    const admin = await ctx.admin();
    await ctx.http().post(`/admin/persons/${owner.person.id}/delete`).set(ctx.as(admin)).send({}).expect(200);
    expect(await operatorKey()).toBeNull();
  });

  it('answers 503 no_llm_key when no key exists at any level', async () => {
    const who = await funded('haiku', 100n);
    await ctx.get(SystemConfigService).unset('anthropic_api_key');
    const res = await converse(who, { message: 'anyone?' }).expect(503);
    expect(res.body).toEqual({ statusCode: 503, error: 'no_llm_key', message: expect.any(String) });
    expect(fake.requests).toHaveLength(0);
  });

  it.each([
    ['an upstream 500', { failWith: 500 }],
    ['an upstream 429', { failWith: 429 }],
    ['a timeout', { latencyMs: 4500 }],
  ])('answers 502 llm_error on %s, recording and charging nothing', async (_, behaviour) => {
    const who = await funded('haiku', 100n);
    fake.reset(behaviour);
    const res = await converse(who, { message: 'fail me' }).expect(502);
    expect(res.body).toEqual({ statusCode: 502, error: 'llm_error', message: expect.any(String) });
    expect(await balance(who, 'haiku')).toBe(100n);
    expect(await ctx.db.query('SELECT 1 FROM conversations WHERE started_by = $1', [who.person.id])).toHaveLength(0);
    // The hold went back at once, not at its expiry.
    expect(await ctx.db.query('SELECT status FROM credit.holds WHERE person_id = $1', [who.person.id])).toEqual([{ status: 'released' }]);
    const kinds = await ctx.db.query<{ kind: string }>('SELECT kind FROM credit.flows WHERE person_id = $1 ORDER BY id', [who.person.id]);
    expect(kinds.map((k) => k.kind)).toEqual(['issuance', 'hold', 'release']);
  });

  it('answers 502 llm_error when the LLM answers without usage: nothing kept, nothing charged, the hold released', async () => {
    const who = await funded('haiku', 100n);
    fake.reset({ omitUsage: true });
    const res = await converse(who, { message: 'how much?' }).expect(502);
    expect(res.body.error).toBe('llm_error');
    expect(await balance(who, 'haiku')).toBe(100n);
    expect(await ctx.db.query('SELECT 1 FROM conversations WHERE started_by = $1', [who.person.id])).toHaveLength(0);
    expect(await ctx.db.query('SELECT status FROM credit.holds WHERE person_id = $1', [who.person.id])).toEqual([{ status: 'released' }]);
  });

  it('answers 429 turns_in_flight beyond max_turns_in_flight running turns of one person', async () => {
    const who = await funded('haiku', 1000n);
    await ctx.get(SystemConfigService).set('max_turns_in_flight', 1);
    try {
      fake.reset({ latencyMs: 200 });
      const running = converse(who, { message: 'first' }).then((r) => r);
      await waitFor(() => fake.requests.length >= 1);
      const second = await converse(who, { message: 'second' }).expect(429);
      expect(second.body).toEqual({ statusCode: 429, error: 'turns_in_flight', message: expect.any(String) });
      expect((await running).status).toBe(200);
      await converse(who, { message: 'third' }).expect(200); // the first settled: room again
    } finally {
      await ctx.get(SystemConfigService).unset('max_turns_in_flight');
    }
  });

  it('never answers a retried request with a second LLM call nor charges it twice (Idempotency-Key)', async () => {
    const who = await funded('haiku', 100n);
    const send = () => converse(who, { message: 'once' }).set('idempotency-key', 'turn-once');
    const first = await send().expect(200);
    const retry = await send().expect(200);
    expect(retry.body).toEqual(first.body);
    expect(fake.requests).toHaveLength(2);
    expect(await balance(who, 'haiku')).toBe(96n);
    expect((await converse(who, { message: 'other' }).set('idempotency-key', 'turn-once').expect(409)).body.error).toBe('idempotency_key_reused');
  });

  it('fences a slow first request out once a retry took its Idempotency-Key over: the turn is charged once', async () => {
    const who = await funded('haiku', 100n);
    fake.reset({ latencyMs: 150 });
    const send = () => converse(who, { message: 'slow' }).set('idempotency-key', 'k-fence').then((r) => r);
    const first = send();
    await waitFor(() => fake.requests.length >= 1); // the first request is in its LLM call
    ctx.clock.set(new Date(ctx.clock.now().getTime() + 10 * 60_000)); // past the pending window
    const second = send();
    const [a, b] = await Promise.all([first, second]);
    // The first request's completion names its own claim token, which the takeover replaced.
    expect([a.status, a.body.error]).toEqual([409, 'idempotency_key_in_progress']);
    expect(b.status).toBe(200);
    expect(fake.requests).toHaveLength(4);
    expect(await balance(who, 'haiku')).toBe(96n);
    expect(await ctx.db.query('SELECT 1 FROM conversations WHERE started_by = $1', [who.person.id])).toHaveLength(1);
    // The first request's abandon did not delete the second's record: a retry replays it.
    fake.reset();
    expect((await send()).body).toEqual(b.body);
    expect(fake.requests).toHaveLength(0);
  });

  it('lets a failed request be retried with the same Idempotency-Key', async () => {
    const who = await funded('haiku', 100n);
    fake.reset({ failWith: 500 });
    await converse(who, { message: 'retry me' }).set('idempotency-key', 'k-retry').expect(502);
    fake.reset();
    await converse(who, { message: 'retry me' }).set('idempotency-key', 'k-retry').expect(200);
    expect(await balance(who, 'haiku')).toBe(96n);
  });

  describe('history', () => {
    it('keeps conversations and turns with their usage, and sends the history with the next turn', async () => {
      const who = await funded('haiku', 1000n);
      const first = await converse(who, { message: 'first question' }).expect(200);
      const conversationId = first.body.conversationId;
      fake.reset();
      await converse(who, { message: 'follow-up', conversationId }).expect(200);
      const respond = fake.requests.find((r) => !isClassify(r))!;
      expect(respond.messages).toEqual([
        { role: 'user', content: 'first question' },
        { role: 'assistant', content: 'Echo: first question' },
        { role: 'user', content: 'follow-up' },
      ]);

      const engagement = who.person.personalEngagementId;
      const list = await ctx.http().get(`/engagements/${engagement}/conversations`).set(ctx.as(who)).expect(200);
      expect(list.body).toEqual({ items: [{ id: conversationId, title: 'first question', createdAt: expect.any(String), lastTurnAt: expect.any(String) }], nextCursor: null });
      const turns = await ctx.http().get(`/engagements/${engagement}/conversations/${conversationId}/turns`).set(ctx.as(who)).expect(200);
      expect(turns.body.items.map((t: { role: string; content: string }) => [t.role, t.content])).toEqual([
        ['user', 'first question'], ['assistant', 'Echo: first question'], ['user', 'follow-up'], ['assistant', 'Echo: follow-up'],
      ]);
      expect(turns.body.items[1].tokenUsage.respond).toEqual({ input: 1200, output: 340, cacheRead: 0, cacheWrite: 0 });
      expect(turns.body.items[0].tokenUsage).toBeUndefined();
      expect(turns.body.nextCursor).toBeNull();

      // A page at a time with the shared cursor, oldest first; the pages add up to the whole list.
      const path = `/engagements/${engagement}/conversations/${conversationId}/turns`;
      const paged: unknown[] = [];
      let cursor: string | null = null;
      for (let pages = 1; ; pages++) {
        const page: { items: unknown[]; nextCursor: string | null } = (await ctx.http().get(path).query(cursor ? { limit: 3, cursor } : { limit: 3 }).set(ctx.as(who)).expect(200)).body;
        expect(page.items.length).toBe(pages === 1 ? 3 : 1);
        paged.push(...page.items);
        cursor = page.nextCursor;
        if (!cursor) break;
      }
      expect(paged).toEqual(turns.body.items);
      // A cursor is one this list issued: another list's, garbage or a bad limit is a 400; a far position an empty page.
      const refused = async (query: Record<string, string | number>) => (await ctx.http().get(path).query(query).set(ctx.as(who)).expect(400)).body.fields[0].field;
      expect(await refused({ cursor: Buffer.from(JSON.stringify({ s: 'conversations', at: new Date(0).toISOString(), id: conversationId })).toString('base64url') })).toBe('cursor');
      expect(await refused({ cursor: 'not a cursor' })).toBe('cursor');
      expect(await refused({ limit: 0 })).toBe('limit');
      expect(await refused({ limit: 201 })).toBe('limit');
      const far = Buffer.from(JSON.stringify({ s: 'turns', id: '9223372036854775807' })).toString('base64url');
      expect((await ctx.http().get(path).query({ cursor: far }).set(ctx.as(who)).expect(200)).body).toEqual({ items: [], nextCursor: null });
    });

    it('answers the documented errors', async () => {
      const who = await funded('haiku', 100n);
      const other = await ctx.signedInPerson();
      const mine = who.person.personalEngagementId;
      const missing = '00000000-0000-4000-8000-000000000000';
      expect((await converse(other, { message: 'x' }, mine).expect(403)).body.error).toBe('forbidden');
      expect((await ctx.http().get(`/engagements/${mine}/conversations`).set(ctx.as(other)).expect(403)).body.error).toBe('forbidden');
      expect((await converse(who, { message: 'x' }, missing).expect(404)).body.error).toBe('engagement_not_found');
      expect((await converse(who, { message: 'x', conversationId: missing }).expect(404)).body.error).toBe('conversation_not_found');
      expect((await ctx.http().get(`/engagements/${mine}/conversations/${missing}/turns`).set(ctx.as(who)).expect(404)).body.error).toBe('conversation_not_found');
      expect((await converse(who, { message: '' }).expect(400)).body.fields[0].field).toBe('message');
      expect((await converse(who, { message: 'x' }, 'not-a-uuid').expect(400)).body.fields[0].field).toBe('engagementId');
      await ctx.http().post(`/engagements/${mine}/converse`).send({ message: 'x' }).expect(401);
      expect(fake.requests).toHaveLength(0);
    });
  });
});

const zero = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 };

describe('converse routing with the permissive CreditSeam', () => {
  const fake = new FakeAnthropic();
  const seam = new PermissiveCreditSeam();
  let ctx: TestContext;

  beforeAll(async () => {
    await fake.start();
    ctx = await TestContext.create({
      env: { ANTHROPIC_BASE_URL: fake.url, ANTHROPIC_API_KEY: 'system-key', ANTHROPIC_MAX_RETRIES: '0' },
      override: (b) => b.overrideProvider(CREDIT_SEAM).useValue(seam),
    });
  });
  afterAll(async () => {
    await ctx.close();
    await fake.stop();
  });

  it('routes a credit-less person to the lowest tier and records the stages it would charge', async () => {
    const who = await ctx.signedInPerson();
    fake.reset({ text: (r) => (isClassify(r) ? 'Task.' : 'done') });
    const res = await ctx.http().post(`/engagements/${who.person.personalEngagementId}/converse`)
      .set(ctx.as(who)).send({ message: 'do it' }).expect(200);
    expect(res.body).toMatchObject({ status: 'ok', intent: 'task', reply: 'done', keySource: 'system', models: { classifier: HAIKU, responder: HAIKU }, credit: { asset: 'haiku', held: 0, charged: 0 } });
    expect(seam.placed).toEqual([expect.objectContaining({ personId: who.person.id, respond: expect.objectContaining({ maxTokens: 1024 }) })]);
    expect(seam.settled).toEqual([
      expect.objectContaining({ holdId: expect.any(String),  stages: [expect.objectContaining({ stage: 'classify', model: HAIKU }), expect.objectContaining({ stage: 'respond', model: HAIKU })] }),
    ]);
    expect(await ctx.db.query('SELECT 1 FROM credit.flows')).toHaveLength(0);
  });
});
