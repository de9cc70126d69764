import type { AddressInfo } from 'node:net';
import { LedgerService } from '@loomworks/credit/staff';
import { SystemConfigService } from '@loomworks/system-config';
import { FakeAnthropic, type FakeRequest } from '../support/fake-anthropic';
import { statementsOf } from '../support/statements';
import { TestContext, type SignedIn, waitFor } from '../support/test-context';

const HAIKU = 'claude-haiku-4-5-20251001';
const isClassify = (r: FakeRequest) => r.system.startsWith("Classify the user's message");
const REPLY = 'Streams arrive in pieces, and every piece is paid for exactly once.';

interface SseEvent {
  event: string;
  data: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** The events of a server-sent event stream body. */
function parseEvents(body: string): SseEvent[] {
  return body
    .split('\n\n')
    .filter((frame) => frame.trim() !== '')
    .map((frame) => {
      const event = /^event: (.*)$/m.exec(frame)?.[1] ?? '';
      const data = /^data: (.*)$/m.exec(frame)?.[1] ?? 'null';
      return { event, data: JSON.parse(data) };
    });
}

/**
 * Streaming converse (API.md "Streaming") over real HTTP against a fake provider that streams:
 * the events and their order, the hold placed before the first byte and settled once, a client
 * that goes away (the charge doesn't change), a provider stream that breaks (interrupted, charged
 * within the hold), one that reports nothing (nothing kept). The ledger is checked after each.
 */
describe('streaming converse', () => {
  const fake = new FakeAnthropic();
  let ctx: TestContext;
  let base: string;

  beforeAll(async () => {
    await fake.start();
    ctx = await TestContext.create({ env: { ANTHROPIC_BASE_URL: fake.url, ANTHROPIC_MAX_RETRIES: '0', ANTHROPIC_TIMEOUT_MS: '10000' } });
    await ctx.get(SystemConfigService).set('anthropic_api_key', 'system-key');
    await ctx.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(ctx.app.getHttpServer().address() as AddressInfo).port}`;
  });
  beforeEach(() => fake.reset({ text: (r) => (isClassify(r) ? 'question' : REPLY), chunkChars: 6 }));
  afterEach(() => ctx.expectLedgerConsistent());
  afterAll(async () => {
    await ctx.close();
    await fake.stop();
  });

  const funded = (amount = 1000n) => ctx.signedInPerson({ credit: { asset: 'haiku', amount } });
  const request = (who: SignedIn, body: object, init: RequestInit = {}) =>
    fetch(`${base}/engagements/${who.person.personalEngagementId}/converse`, {
      method: 'POST',
      headers: { accept: 'text/event-stream', 'content-type': 'application/json', ...ctx.as(who) },
      body: JSON.stringify(body),
      ...init,
    });
  const streamed = async (who: SignedIn, body: object) => {
    const res = await request(who, body);
    return { status: res.status, type: res.headers.get('content-type'), events: parseEvents(await res.text()) };
  };
  const holdsOf = (who: SignedIn) => ctx.db.query<{ status: string; amount: string }>('SELECT status, amount::text FROM credit.holds WHERE person_id = $1', [who.person.id]);
  const flowsOf = async (who: SignedIn) =>
    (await ctx.db.query<{ kind: string; amount: string }>('SELECT kind, amount::text FROM credit.flows WHERE person_id = $1 ORDER BY id', [who.person.id])).map((f) => `${f.kind} ${f.amount}`);
  /** The call log's rows of a person (of one turn when given), classify first. */
  const callsOf = (who: SignedIn, turnId?: string) =>
    ctx.db.query<{ stage: string; status: string; input_tokens: string | null; output_tokens: string | null; charged: string }>(
      `SELECT stage, status, input_tokens::text, output_tokens::text, charged::text FROM llm_calls
        WHERE person_id = $1 AND ($2::uuid IS NULL OR turn_id = $2) ORDER BY started_at, stage`,
      [who.person.id, turnId ?? null],
    );

  it('streams turn.started, the reply in deltas, then turn.completed with the same charge as a whole turn', async () => {
    const who = await funded();
    const { status, type, events } = await streamed(who, { message: 'Tell me about streams' });
    expect(status).toBe(200);
    expect(type).toMatch(/^text\/event-stream/);
    const names = events.map((e) => e.event);
    expect(names[0]).toBe('turn.started');
    expect(names[names.length - 1]).toBe('turn.completed');
    expect(names.slice(1, -1).every((n) => n === 'reply.delta')).toBe(true);
    expect(names.length - 2).toBe(Math.ceil(REPLY.length / 6));
    const [started] = events;
    const completed = events[events.length - 1].data;
    expect(started.data).toEqual({
      conversationId: completed.conversationId,
      keySource: 'system',
      models: { classifier: HAIKU, responder: HAIKU },
      credit: { asset: 'haiku', held: completed.credit.held },
    });
    expect(events.slice(1, -1).map((e) => e.data.text).join('')).toBe(REPLY);
    expect(completed).toMatchObject({ status: 'ok', reply: REPLY, intent: 'question', credit: { asset: 'haiku', charged: 4, balanceAfter: 996 } });
    expect(completed.interrupted).toBeUndefined();
    expect(fake.requests.map((r) => r.stream)).toEqual([false, true]); // classify whole, respond streamed

    // the same turn, not streamed, costs the same
    const whole = await ctx.http().post(`/engagements/${who.person.personalEngagementId}/converse`).set(ctx.as(who)).send({ message: 'Tell me about streams' }).expect(200);
    expect(whole.body.credit.charged).toBe(completed.credit.charged);
    for (const turnId of [completed.turnId, whole.body.turnId]) {
      expect(await callsOf(who, turnId)).toEqual([
        { stage: 'classify', status: 'ok', input_tokens: '300', output_tokens: '2', charged: '1' },
        { stage: 'respond', status: 'ok', input_tokens: '1200', output_tokens: '340', charged: '3' },
      ]);
    }
    const turns = await ctx.http().get(`/engagements/${who.person.personalEngagementId}/conversations/${completed.conversationId}/turns`).set(ctx.as(who)).expect(200);
    expect(turns.body.items.map((t: { role: string; content: string; status: string }) => [t.role, t.status])).toEqual([['user', 'ok'], ['assistant', 'ok']]);
  });

  it('places the hold before the first byte and settles it once: the same credit statements as a whole turn, one transaction', async () => {
    const who = await funded();
    const fastify = ctx.app.getHttpAdapter().getInstance();
    const turn = (accept: string) =>
      statementsOf(async () => {
        const res = await fastify.inject({
          method: 'POST',
          url: `/engagements/${who.person.personalEngagementId}/converse`,
          headers: { ...ctx.as(who), 'content-type': 'application/json', accept },
          payload: JSON.stringify({ message: 'count my statements' }),
        });
        expect(res.statusCode).toBe(200);
      });
    await turn('application/json'); // warm the settings caches
    const whole = await turn('application/json');
    const streamedStatements = await turn('text/event-stream');
    const credit = (sql: string[]) => sql.filter((s) => /credit\./.test(s));
    expect(credit(streamedStatements)).toEqual([expect.stringContaining('credit.place_hold'), expect.stringContaining('credit.settle_hold')]);
    expect(credit(streamedStatements)).toEqual(credit(whole));
    expect(streamedStatements.filter((s) => s.startsWith('START TRANSACTION'))).toHaveLength(1);
    expect(streamedStatements).toHaveLength(whole.length);
  });

  it('answers a structural refusal as a single turn.completed, and errors before the turn starts as JSON', async () => {
    const poor = await ctx.signedInPerson();
    const refused = await streamed(poor, { message: 'no credit' });
    expect(refused.status).toBe(200);
    expect(refused.events).toEqual([{ event: 'turn.completed', data: expect.objectContaining({ status: 'credit_exhausted', keySource: 'system' }) }]);
    const who = await funded();
    const missing = await request(who, { message: 'hi', conversationId: '00000000-0000-4000-8000-000000000000' });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/application\/json/);
    expect(await missing.json()).toEqual({ statusCode: 404, error: 'conversation_not_found', message: expect.any(String) });
    expect(fake.requests).toEqual([]);
  });

  it('a provider failure after the turn started is turn.failed (502 llm_error): nothing charged, the hold released', async () => {
    const who = await funded();
    fake.reset({ failWith: (r) => (isClassify(r) ? undefined : 500) });
    const { events } = await streamed(who, { message: 'fail me' });
    expect(events.map((e) => e.event)).toEqual(['turn.started', 'turn.failed']);
    expect(events[1].data).toEqual({ statusCode: 502, error: 'llm_error', message: expect.any(String) });
    expect(await holdsOf(who)).toEqual([{ status: 'released', amount: expect.any(String) }]);
    expect(await ctx.get(LedgerService).balance(who.person.id, 'haiku')).toBe(1000n);
    // the classify call the provider billed is logged, absorbed (charged to nobody)
    expect(await callsOf(who)).toEqual([
      { stage: 'classify', status: 'ok', input_tokens: '300', output_tokens: '2', charged: '0' },
      { stage: 'respond', status: 'failed', input_tokens: null, output_tokens: null, charged: '0' },
    ]);
  });

  it('a client that disconnects mid-stream changes nothing: the provider is read to its end and the exact usage charged', async () => {
    const who = await funded();
    fake.reset({ text: (r) => (isClassify(r) ? 'question' : REPLY), chunkChars: 4, chunkDelayMs: 30 });
    const abort = new AbortController();
    const res = await request(who, { message: 'I will leave early' }, { signal: abort.signal });
    const reader = res.body!.getReader();
    let seen = '';
    while (!seen.includes('reply.delta')) seen += new TextDecoder().decode((await reader.read()).value);
    abort.abort(); // gone after the first delta
    await waitFor(async () => (await holdsOf(who))[0]?.status === 'settled', 20_000);
    expect(await flowsOf(who)).toEqual(['issuance 1000', expect.stringMatching(/^hold /), expect.stringMatching(/^release /), 'consumption 1', 'consumption 3']);
    const [conversation] = await ctx.db.query<{ id: string }>('SELECT c.id FROM conversations c JOIN engagements e ON e.id = c.engagement_id WHERE e.id = $1', [who.person.personalEngagementId]);
    const turns = await ctx.http().get(`/engagements/${who.person.personalEngagementId}/conversations/${conversation.id}/turns`).set(ctx.as(who)).expect(200);
    expect(turns.body.items[1]).toMatchObject({ role: 'assistant', content: REPLY, status: 'ok' });
  });

  it('a provider stream that breaks is kept as interrupted: the text received, charged within the hold, llm.usage_unreported raised', async () => {
    const who = await funded();
    // a truthful provider: the input it reports fits the bound of what was sent
    const usage = (r: FakeRequest) => (isClassify(r) ? { input_tokens: 300, output_tokens: 2 } : { input_tokens: 60, output_tokens: 340 });
    fake.reset({ text: (r) => (isClassify(r) ? 'question' : REPLY), chunkChars: 6, dropAfterChunks: 3, usage });
    const { events } = await streamed(who, { message: 'break on me' });
    const names = events.map((e) => e.event);
    expect(names).toEqual(['turn.started', 'reply.delta', 'reply.delta', 'reply.delta', 'turn.completed']);
    const completed = events[4].data;
    const received = REPLY.slice(0, 18);
    expect(completed).toMatchObject({ status: 'ok', interrupted: true, reply: received });
    // input as reported at the stream's start (60), output the bytes delivered (18): haiku 1000/5000 per million
    const respondCharge = Math.ceil((60 * 1000 + 18 * 5000) / 1_000_000);
    expect(completed.tokenUsage.respond).toEqual({ input: 60, output: 18, cacheRead: 0, cacheWrite: 0 });
    expect(completed.credit).toEqual({ asset: 'haiku', held: events[0].data.credit.held, charged: 1 + respondCharge, balanceAfter: 1000 - 1 - respondCharge });
    expect(completed.credit.charged).toBeLessThanOrEqual(completed.credit.held);
    const turns = await ctx.http().get(`/engagements/${who.person.personalEngagementId}/conversations/${completed.conversationId}/turns`).set(ctx.as(who)).expect(200);
    expect(turns.body.items[1]).toMatchObject({ content: received, status: 'interrupted' });
    expect((await callsOf(who))[1]).toEqual({ stage: 'respond', status: 'interrupted', input_tokens: '60', output_tokens: '18', charged: String(respondCharge) });
    const [event] = await ctx.db.query<{ data: Record<string, unknown> }>("SELECT data FROM events WHERE type = 'llm.usage_unreported' AND data->>'turnId' = $1", [completed.turnId]);
    expect(event).toBeDefined();
  });

  it('an interrupted stream is never charged more than its hold, however much text arrived or input was claimed', async () => {
    const who = await funded(30n);
    const long = 'ü'.repeat(5000); // 10,000 bytes, far beyond max_tokens
    const usage = (r: FakeRequest) => (isClassify(r) ? { input_tokens: 10, output_tokens: 1 } : { input_tokens: 1_000_000, output_tokens: 1 });
    fake.reset({ text: (r) => (isClassify(r) ? 'question' : long), chunkChars: 500, dropAfterChunks: 8, usage });
    const { events } = await streamed(who, { message: 'a long one' });
    const completed = events[events.length - 1].data;
    expect(completed.interrupted).toBe(true);
    expect(completed.tokenUsage.respond.output).toBe(fake.requests[1].maxTokens);
    expect(completed.tokenUsage.respond.input).toBeLessThan(200); // the bound of what was sent, not the claim
    expect(completed.credit.charged).toBeLessThanOrEqual(completed.credit.held);
    expect(await ctx.db.query("SELECT 1 FROM events WHERE type = 'hold.exceeded' AND data->>'personId' = $1", [who.person.id])).toEqual([]);
  });

  it('a stream that reports no usage at all keeps nothing: turn.failed, the hold released', async () => {
    const who = await funded();
    fake.reset({ text: (r) => (isClassify(r) ? 'question' : REPLY), omitUsage: (r) => r.stream, dropAfterChunks: 2 });
    const { events } = await streamed(who, { message: 'tell me nothing' });
    expect(events.map((e) => e.event)).toEqual(['turn.started', 'reply.delta', 'reply.delta', 'turn.failed']);
    expect(events[3].data).toMatchObject({ statusCode: 502, error: 'llm_error' });
    expect(await holdsOf(who)).toEqual([{ status: 'released', amount: expect.any(String) }]);
    expect(await ctx.db.query('SELECT 1 FROM turns WHERE person_id = $1', [who.person.id])).toEqual([]);
    expect((await callsOf(who)).map((c) => [c.stage, c.status, c.charged])).toEqual([['classify', 'ok', '0'], ['respond', 'interrupted', '0']]);
  });
});
