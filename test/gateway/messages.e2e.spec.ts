import Anthropic from '@anthropic-ai/sdk';
import type { MessageCreateParamsNonStreaming } from '@anthropic-ai/sdk/resources/messages';
import { Meters } from '@loomworks/common';
import { LedgerService } from '@loomworks/credit/staff';
import { messagesInputBound } from '@loomworks/llm';
import { SystemConfigService } from '@loomworks/system-config';
import { RequestCreditRepository } from '../../libs/gateway/src/persistence/request-credit.repository';
import { FakeAnthropic } from '../support/fake-anthropic';
import { LogCapture } from '../support/log-capture';
import { statementsOf } from '../support/statements';
import { GatewayContext } from '../support/gateway-context';
import { type TestContext, waitFor } from '../support/test-context';

const HAIKU = 'claude-haiku-4-5-20251001';
const OPUS = 'claude-opus-4-7';
// Seeded haiku rates, credits per million tokens (cache write is the highest input-side rate).
const RATE = { input: 1000, output: 5000, cacheRead: 100, cacheWrite: 1250 };
const ceilDiv = (n: bigint, d: bigint) => (n + d - 1n) / d;
/** The independent oracle: each kind × its rate, summed, rounded up once. */
const charge = (u: { input: number; output: number; cacheRead?: number; cacheWrite?: number }) =>
  ceilDiv(BigInt(u.input * RATE.input + u.output * RATE.output + (u.cacheRead ?? 0) * RATE.cacheRead + (u.cacheWrite ?? 0) * RATE.cacheWrite), 1_000_000n);
const held = (params: MessageCreateParamsNonStreaming) => {
  const bound = messagesInputBound(params as never) as { inputTokens: number };
  return ceilDiv(BigInt(bound.inputTokens * RATE.cacheWrite + params.max_tokens * RATE.output), 1_000_000n);
};

const ask = (text: string, maxTokens = 1000): MessageCreateParamsNonStreaming => ({ model: HAIKU, max_tokens: maxTokens, messages: [{ role: 'user', content: text }] });

describe('POST /v1/messages: held, relayed unchanged, settled once', () => {
  const fake = new FakeAnthropic();
  const logs = new LogCapture();
  let gateway: GatewayContext;
  let ctx: TestContext;
  let baseURL: string;

  beforeAll(async () => {
    gateway = await GatewayContext.start(fake, { logStream: logs });
    ({ ctx, baseURL } = gateway);
  });
  beforeEach(() => fake.reset({ usage: () => ({ input_tokens: 20, output_tokens: 30, cache_read_input_tokens: 4, cache_creation_input_tokens: 2 }) }));
  afterEach(() => ctx.expectLedgerConsistent());
  afterAll(async () => {
    await ctx.close();
    await fake.stop();
  });

  const member = (amount?: bigint, asset?: string) => gateway.member(amount, asset);
  const balance = (personId: string, asset = 'haiku') => ctx.get(LedgerService).balance(personId, asset);
  const holdsOf = (personId: string) => ctx.db.query<{ status: string; amount: string; charged: string | null }>(
    'SELECT status, amount::text, charged::text FROM credit.holds WHERE person_id = $1 ORDER BY created_at', [personId]);
  /** the server's log lines, from the `mark`-th on, for a provider that failed */
  const providerFailures = (mark: number) => logs.entries().slice(mark).filter((l) => l.msg === 'the provider failed: the hold released, nothing charged');
  const flowsOf = async (personId: string) =>
    (await ctx.db.query<{ kind: string; amount: string }>('SELECT kind, amount::text FROM credit.flows WHERE person_id = $1 ORDER BY id', [personId])).map((f) => `${f.kind} ${f.amount}`);

  it('charges a whole answer exactly, answers it unchanged, with the credit headers', async () => {
    const { person, sdk, apiKeyId } = await member();
    const params = ask('hello there');
    const { data, response } = await sdk.messages.create(params).withResponse();
    const exact = charge({ input: 20, output: 30, cacheRead: 4, cacheWrite: 2 });
    expect(data).toMatchObject({ type: 'message', content: [{ type: 'text', text: 'Echo: hello there' }], usage: { input_tokens: 20, output_tokens: 30 } });
    expect(Object.fromEntries([...response.headers].filter(([name]) => name.startsWith('loomworks-')))).toEqual({
      'loomworks-request-id': expect.stringMatching(/^[0-9a-f-]{36}$/),
      'loomworks-credit-asset': 'haiku',
      'loomworks-credit-held': String(held(params)),
      'loomworks-credit-charged': String(exact),
      'loomworks-credit-balance': String(1000n - exact),
    });
    expect(fake.requests).toEqual([expect.objectContaining({ apiKey: 'system-key', model: HAIKU, maxTokens: 1000, stream: false })]);
    expect(await balance(person.id)).toBe(1000n - exact);
    expect(await holdsOf(person.id)).toEqual([{ status: 'settled', amount: String(held(params)), charged: String(exact) }]);
    expect(await ctx.db.query('SELECT source, status, api_key_id, charged::text FROM llm_calls WHERE id = $1', [response.headers.get('loomworks-request-id')])).toEqual([
      { source: 'messages', status: 'ok', api_key_id: apiKeyId, charged: String(exact) },
    ]);
  });

  it('relays a stream byte for byte and charges its final usage exactly', async () => {
    const { person, key } = await member();
    const body = JSON.stringify({ ...ask('stream me a long enough answer'), stream: true });
    const ours = await fetch(`${baseURL}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key, 'anthropic-version': '2023-06-01' }, body });
    expect(ours.status).toBe(200);
    expect(ours.headers.get('content-type')).toBe('text/event-stream');
    expect(ours.headers.get('loomworks-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(ours.headers.get('loomworks-credit-charged')).toBeNull();
    const relayed = await ours.text();
    const direct = await (await fetch(`${fake.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).text();
    expect(relayed.replace(/msg_fake_\d+/, 'msg')).toBe(direct.replace(/msg_fake_\d+/, 'msg'));
    const exact = charge({ input: 20, output: 30, cacheRead: 4, cacheWrite: 2 });
    await waitFor(async () => (await holdsOf(person.id))[0]?.status === 'settled');
    expect(await balance(person.id)).toBe(1000n - exact);
    // Its request line, though the stream was written past Fastify's reply (see apps/api/src/logging.ts).
    const line = logs.entries().find((l) => (l.req as { id?: string } | undefined)?.id === ours.headers.get('x-request-id'));
    expect(line).toMatchObject({ msg: 'request completed', req: { method: 'POST', url: '/v1/messages' }, res: { statusCode: 200 }, responseTime: expect.any(Number) });

    // The SDK reads the same stream.
    const { sdk } = await member();
    const text = await sdk.messages.stream(ask('and through the SDK')).finalText();
    expect(text).toBe('Echo: and through the SDK');
  });

  it('ends a stream once it is settled: a client calling again at once finds its payer free (no placement queued, nothing to confirm)', async () => {
    const { person, sdk } = await member();
    const confirmHold = jest.spyOn(ctx.get(RequestCreditRepository), 'confirmHold');
    const exact = charge({ input: 20, output: 30, cacheRead: 4, cacheWrite: 2 });
    for (let i = 1; i <= 5; i++) {
      await sdk.messages.stream(ask(`call ${i}`)).finalText();
      // read as soon as the stream has ended, without waiting
      expect(await balance(person.id)).toBe(1000n - BigInt(i) * exact);
    }
    expect(confirmHold).not.toHaveBeenCalled();
    confirmHold.mockRestore();
  });

  it('spends credit for 3 requests once among 20 parallel streams, never more', async () => {
    await ctx.get(SystemConfigService).set('max_turns_in_flight', 50);
    try {
      const params = ask('parallel', 2000);
      const { person, sdk } = await member(held(params) * 3n);
      fake.reset({ usage: () => ({ input_tokens: 20, output_tokens: 30 }), chunkChars: 1, chunkDelayMs: 50 });
      const results = await Promise.all(
        Array.from({ length: 20 }, () => sdk.messages.stream(params).finalText().then(() => 'ok', (e: unknown) => (e instanceof Anthropic.APIError ? e.status : String(e)))),
      );
      // A stream that ends returns the rest of its hold, so a late request may fit again: at least 3 succeed,
      // every other is a 402, and what was held at any instant never exceeded the credit.
      const ok = results.filter((r) => r === 'ok').length;
      expect(ok).toBeGreaterThanOrEqual(3);
      expect(results.filter((r) => r !== 'ok')).toEqual(Array(20 - ok).fill(402));
      await waitFor(async () => (await holdsOf(person.id)).every((h) => h.status === 'settled'));
      const [{ peak }] = await ctx.db.query<{ peak: string }>(
        `SELECT max((SELECT sum(o.amount) FROM credit.holds o WHERE o.person_id = h.person_id AND o.created_at <= h.created_at AND o.ended_at > h.created_at))::text AS peak
           FROM credit.holds h WHERE h.person_id = $1`, [person.id]);
      expect(BigInt(peak)).toBeLessThanOrEqual(held(params) * 3n);
      expect(await balance(person.id)).toBe(held(params) * 3n - BigInt(ok) * charge({ input: 20, output: 30 }));
    } finally {
      await ctx.get(SystemConfigService).set('max_turns_in_flight', 4);
    }
  });

  it('charges exactly when the client goes mid-stream: the upstream is read to its end', async () => {
    const { person, sdk } = await member();
    const abort = new AbortController();
    fake.reset({ usage: () => ({ input_tokens: 20, output_tokens: 30 }), chunkChars: 1, chunkDelayMs: 30, onChunk: (_req, i) => i === 2 && abort.abort() });
    const stream = sdk.messages.stream(ask('a client that leaves early'), { signal: abort.signal });
    await expect(stream.finalText()).rejects.toThrow();
    expect((await holdsOf(person.id))[0].status).toBe('active');
    await waitFor(async () => (await holdsOf(person.id))[0]?.status === 'settled');
    expect(await balance(person.id)).toBe(1000n - charge({ input: 20, output: 30 }));
  });

  const unreported = (callId: string) =>
    ctx.db.query<{ data: Record<string, unknown> }>("SELECT data FROM events WHERE type = 'llm.usage_unreported' AND data->>'callId' = $1", [callId]);

  it('charges a broken upstream stream within its bound (the input it announced, the bytes delivered), logs it interrupted, raises llm.usage_unreported', async () => {
    const { person, sdk, apiKeyId } = await member();
    fake.reset({ usage: () => ({ input_tokens: 20, output_tokens: 30 }), chunkChars: 4, dropAfterChunks: 2 });
    const stream = sdk.messages.stream(ask('break it'));
    const texts: string[] = [];
    stream.on('text', (t) => texts.push(t));
    // The SDK sees the stream end before message_stop: its usual error, after the text that came.
    await expect(stream.finalMessage()).rejects.toThrow();
    expect(texts.join('')).toBe('Echo: br');
    await waitFor(async () => (await holdsOf(person.id))[0]?.status === 'settled');
    const delivered = Buffer.byteLength('Echo: br'); // two deltas of four characters
    const [hold] = await holdsOf(person.id);
    expect(BigInt(hold.charged!)).toBe(charge({ input: 20, output: delivered }));
    expect(BigInt(hold.charged!)).toBeLessThanOrEqual(BigInt(hold.amount));
    const [call] = await ctx.db.query<{ id: string; status: string; charged: string; output_tokens: string }>(
      'SELECT id, status, charged::text, output_tokens::text FROM llm_calls WHERE person_id = $1', [person.id]);
    expect(call).toMatchObject({ status: 'interrupted', charged: hold.charged, output_tokens: String(delivered) });
    expect(await unreported(call.id)).toEqual([
      {
        data: {
          callId: call.id, source: 'messages', personId: person.id, engagementId: null, apiKeyId, turnId: null, model: HAIKU, holdId: expect.any(String),
          usage: { input: 20, output: delivered, cacheRead: 0, cacheWrite: 0 }, charged: Number(hold.charged),
        },
      },
    ]);
    expect(await balance(person.id)).toBe(1000n - BigInt(hold.charged!));
  });

  it('charges within the bound a stream whose final usage never comes (message_delta without usage)', async () => {
    const { person, key } = await member();
    fake.reset({ usage: () => ({ input_tokens: 20, output_tokens: 30 }), chunkChars: 4, omitFinalUsage: true });
    // (the SDK itself fails on a message_delta without usage, so a plain client reads this one)
    const res = await fetch(`${baseURL}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key }, body: JSON.stringify({ ...ask('no final count'), stream: true }) });
    expect(await res.text()).toContain('message_stop');
    await waitFor(async () => (await holdsOf(person.id))[0]?.status === 'settled');
    const [hold] = await holdsOf(person.id);
    expect(BigInt(hold.charged!)).toBe(charge({ input: 20, output: Buffer.byteLength('Echo: no final count') }));
    const [call] = await ctx.db.query<{ id: string; status: string }>('SELECT id, status FROM llm_calls WHERE person_id = $1', [person.id]);
    expect(call.status).toBe('interrupted');
    expect(await unreported(call.id)).toHaveLength(1);
  });

  it('releases the hold of a stream that broke before any usage: nothing charged, logged interrupted, event raised', async () => {
    const { person, sdk } = await member();
    fake.reset({ omitUsage: true, chunkChars: 4, dropAfterChunks: 1 });
    await expect(sdk.messages.stream(ask('no usage')).finalMessage()).rejects.toThrow();
    await waitFor(async () => (await holdsOf(person.id))[0]?.status === 'released');
    expect(await balance(person.id)).toBe(1000n);
    // the release and the call's row are two writes: the row comes just after
    await waitFor(async () => (await ctx.db.query('SELECT 1 FROM llm_calls WHERE person_id = $1', [person.id])).length === 1);
    const [call] = await ctx.db.query<{ id: string; status: string; charged: string }>('SELECT id, status, charged::text FROM llm_calls WHERE person_id = $1', [person.id]);
    expect(call).toMatchObject({ status: 'interrupted', charged: '0' });
    expect((await unreported(call.id)).map((e) => e.data)).toEqual([expect.objectContaining({ usage: null, charged: 0 })]);
  });

  it('passes a provider 4xx through unchanged and charges nothing; a provider failure is 502 api_error, hold released', async () => {
    const { person, sdk } = await member();
    fake.reset({ failWith: 429, retryAfter: '7' });
    const limited = await sdk.messages.create(ask('x')).catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(Anthropic.RateLimitError);
    expect((limited as InstanceType<typeof Anthropic.RateLimitError>).error).toEqual({ type: 'error', error: { type: 'api_error', message: 'fake upstream failure' } });
    expect((limited as InstanceType<typeof Anthropic.RateLimitError>).headers?.get('retry-after')).toBe('7');
    fake.reset({ failWith: 500 });
    const mark = logs.entries().length;
    const failed = await sdk.messages.create(ask('x')).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(Anthropic.InternalServerError);
    expect((failed as InstanceType<typeof Anthropic.InternalServerError>).status).toBe(502);
    expect((failed as InstanceType<typeof Anthropic.InternalServerError>).error).toEqual({ type: 'error', error: { type: 'api_error', message: expect.any(String) } });
    expect((await holdsOf(person.id)).map((h) => h.status)).toEqual(['released', 'released']);
    expect(await balance(person.id)).toBe(1000n);
    // the 502 names no cause; the server's log does, for the call the answer identifies
    expect(providerFailures(mark)).toEqual([expect.objectContaining({ level: 40, reason: 'status 500' })]);
  });

  it('sends a request once more, on a new connection, when the provider closed the kept-alive one it went out on: answered and charged once', async () => {
    const { person, sdk } = await member();
    const exact = charge({ input: 20, output: 30, cacheRead: 4, cacheWrite: 2 });
    const textOf = (message: Anthropic.Message) => message.content.map((block) => (block.type === 'text' ? block.text : '')).join('');
    for (const streamed of [false, true]) {
      fake.behaviour.dropConnection = undefined;
      // leaves its connection to the provider kept alive in the forwarder's pool: the next call goes out on it
      await sdk.messages.create(ask('first'));
      fake.behaviour.dropConnection = 'reused';
      const text = streamed ? await sdk.messages.stream(ask('then streamed')).finalText() : textOf(await sdk.messages.create(ask('then whole')));
      expect(text).toBe(streamed ? 'Echo: then streamed' : 'Echo: then whole');
    }
    // each closed connection cost one resend, and each call reached the provider answered once
    expect(fake.dropped).toBe(2);
    expect(fake.requests.map((r) => r.messages[0].content)).toEqual(['first', 'then whole', 'first', 'then streamed']);
    await waitFor(async () => (await holdsOf(person.id)).every((h) => h.status === 'settled'));
    expect(await holdsOf(person.id)).toEqual(Array.from({ length: 4 }, () => expect.objectContaining({ status: 'settled', charged: String(exact) })));
    expect(await balance(person.id)).toBe(1000n - 4n * exact);
    expect((await ctx.db.query<{ status: string }>('SELECT status FROM llm_calls WHERE person_id = $1', [person.id])).map((c) => c.status)).toEqual(['ok', 'ok', 'ok', 'ok']);
  });

  it('sends a request at most twice: when the new connection is closed too, the answer is 502, the hold released', async () => {
    const { person, sdk } = await member();
    await sdk.messages.create(ask('first'));
    const exact = charge({ input: 20, output: 30, cacheRead: 4, cacheWrite: 2 });
    fake.reset({ dropConnection: 'all' });
    const mark = logs.entries().length;
    const failed = await sdk.messages.create(ask('dropped')).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(Anthropic.InternalServerError);
    expect((failed as InstanceType<typeof Anthropic.InternalServerError>).status).toBe(502);
    // the kept-alive connection's attempt and one resend on a new connection, no more
    expect(fake.dropped).toBe(2);
    expect((await holdsOf(person.id)).map((h) => h.status)).toEqual(['settled', 'released']);
    expect(await balance(person.id)).toBe(1000n - exact);
    expect(providerFailures(mark)).toEqual([expect.objectContaining({ reason: 'ECONNRESET' })]);
  });

  it('answers 402 naming the bound and the credit, 403 for a model the credit does not buy, as the SDK parses them', async () => {
    const { person, sdk } = await member(3n);
    const params = ask('too big', 4000);
    const poor = await sdk.messages.create(params).catch((e: unknown) => e);
    expect(poor).toBeInstanceOf(Anthropic.PaymentRequiredError);
    expect((poor as InstanceType<typeof Anthropic.APIError>).error).toEqual({
      type: 'error',
      error: { type: 'billing_error', message: `This request may cost up to ${held(params)} credits (its proven bound: input as sent, output up to max_tokens); 3 haiku credits are available` },
    });
    const opus = await sdk.messages.create({ ...params, model: OPUS }).catch((e: unknown) => e);
    expect(opus).toBeInstanceOf(Anthropic.PermissionDeniedError);
    expect((opus as InstanceType<typeof Anthropic.APIError>).error).toEqual({ type: 'error', error: { type: 'permission_error', message: `The credit of this key buys no ${OPUS} calls` } });
    // opus credit buys haiku calls too
    const rich = await member(1000n, 'opus');
    await rich.sdk.messages.create(ask('on opus credit'));
    expect(await balance(rich.person.id, 'opus')).toBe(1000n - charge({ input: 20, output: 30, cacheRead: 4, cacheWrite: 2 }));
    expect(fake.requests).toHaveLength(1);
    expect(await flowsOf(person.id)).toEqual(['issuance 3']);
  });

  it('answers 429 rate_limit_error with Retry-After at max_turns_in_flight', async () => {
    const { sdk } = await member();
    fake.reset({ chunkChars: 1, chunkDelayMs: 50 });
    const running = Array.from({ length: 4 }, () => sdk.messages.stream(ask('slow')).finalText());
    await waitFor(() => fake.requests.length === 4);
    const refused = await sdk.messages.create(ask('one too many')).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(Anthropic.RateLimitError);
    expect((refused as InstanceType<typeof Anthropic.RateLimitError>).headers?.get('retry-after')).toBe('1');
    await Promise.all(running);
  });

  it("counts a key's requests in flight against the key's limit (read among its person's active holds)", async () => {
    const { sdk, apiKeyId } = await member();
    // room for one request's bound, not for two
    await ctx.db.query(`UPDATE api_keys SET limit_amount = $2, limit_period = 'day' WHERE id = $1`, [apiKeyId, String(2n * held(ask('slow')) - 1n)]);
    fake.reset({ chunkChars: 1, chunkDelayMs: 50 });
    const running = sdk.messages.stream(ask('slow')).finalText();
    await waitFor(() => fake.requests.length === 1);
    const refused = await sdk.messages.create(ask('slow')).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(Anthropic.RateLimitError);
    expect(fake.requests).toHaveLength(1);
    await running;
    // settled, the first counts by its charge, not its bound: the second fits
    fake.reset({ usage: () => ({ input_tokens: 20, output_tokens: 30 }) });
    expect((await sdk.messages.create(ask('slow'))).usage.output_tokens).toBe(30);
  });

  it('does a streamed call’s credit work in the same two statements as a whole one, and nothing else', async () => {
    const { key, person } = await member();
    const credit = async (stream: boolean) => {
      const poll = 'SELECT status, amount::text';
      const seen = await statementsOf(async () => {
        const res = await ctx.app.inject({ method: 'POST', url: '/v1/messages', headers: { 'content-type': 'application/json', 'x-api-key': key }, payload: { ...ask('count'), stream } });
        expect(res.statusCode).toBe(200);
        // a stream settles after its last byte went out
        await waitFor(async () => (await holdsOf(person.id)).every((h) => h.status === 'settled'));
      });
      // every statement the request sent (the polling above aside), named by the function it calls
      return seen.filter((sql) => !sql.startsWith(poll)).map((sql) => /FROM\s+(\w+)\(/.exec(sql)?.[1] ?? sql);
    };
    // the key checked with the hold's placement (one statement), the settlement with the call log's row (one)
    expect(await credit(false)).toEqual(['place_key_request_hold', 'settle_request_call']);
    expect(await credit(true)).toEqual(['place_key_request_hold', 'settle_request_call']);
  });

  it('settles a call that crosses the low-balance threshold in a transaction with its notice: charged once, logged once, credit.low recorded', async () => {
    const { person, key, sdk } = await member(105n); // seeded haiku threshold: 100
    fake.reset({ usage: () => ({ input_tokens: 10, output_tokens: 1000 }) });
    const exact = charge({ input: 10, output: 1000 }); // 6: 105 → 99
    const seen = await statementsOf(async () => {
      const res = await ctx.app.inject({ method: 'POST', url: '/v1/messages', headers: { 'content-type': 'application/json', 'x-api-key': key }, payload: ask('cross the line') });
      expect(res.headers['loomworks-credit-balance']).toBe(String(105n - exact));
    });
    const { response } = await sdk.messages.create(ask('and below it')).withResponse(); // 99 → 93: no new crossing
    expect(response.headers.get('loomworks-credit-balance')).toBe(String(105n - 2n * exact));
    // the one statement found notices due and undid itself; the transaction wrote the settlement, the row and the notice
    expect(seen.some((sql) => sql.includes('settle_request_call('))).toBe(true);
    expect(seen.filter((sql) => sql.includes('credit.settle_hold('))).toHaveLength(1);
    expect(await ctx.db.query(`SELECT data->>'balance' AS balance FROM events WHERE type = 'credit.low' AND data->>'personId' = $1`, [person.id])).toEqual([{ balance: '99' }]);
    expect(await ctx.db.query('SELECT status, charged::text FROM llm_calls WHERE person_id = $1 ORDER BY started_at', [person.id])).toEqual([
      { status: 'ok', charged: String(exact) },
      { status: 'ok', charged: String(exact) },
    ]);
    expect(await flowsOf(person.id)).toEqual(['issuance 105', ...Array(2).fill([`hold ${held(ask(''))}`, `release ${held(ask(''))}`, `consumption ${exact}`]).flat()]);
  });

  it('counts a call settled in its one statement in the LLM metrics, as one logged by the call log', async () => {
    const { sdk } = await member();
    const value = async (metric: 'llmCalls' | 'llmTokens', labels: Record<string, string>) =>
      (await ctx.get(Meters)[metric].get()).values.find((v) => Object.entries(labels).every(([k, l]) => (v.labels as Record<string, unknown>)[k] === l))?.value ?? 0;
    const before = { calls: await value('llmCalls', { model: HAIKU, status: 'ok' }), output: await value('llmTokens', { model: HAIKU, status: 'ok', kind: 'output' }) };
    await sdk.messages.create(ask('metered'));
    expect(await value('llmCalls', { model: HAIKU, status: 'ok' })).toBe(before.calls + 1);
    expect(await value('llmTokens', { model: HAIKU, status: 'ok', kind: 'output' })).toBe(before.output + 30);
  });
});
