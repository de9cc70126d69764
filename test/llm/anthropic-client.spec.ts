import { worstCaseCallMs, type AnthropicConfig, type AppConfig } from '@loomworks/config';
import { LlmError } from '@loomworks/llm';
import { AnthropicLlmClient } from '../../libs/llm/src/anthropic-llm-client';
import { FakeAnthropic } from '../support/fake-anthropic';

/** The production client (the official SDK inside) against the fake provider over real HTTP. */
describe('AnthropicLlmClient', () => {
  const fake = new FakeAnthropic();
  const request = { apiKey: 'k', model: 'claude-haiku-4-5-20251001', system: 'Be brief.', messages: [{ role: 'user' as const, content: 'hello there' }], maxTokens: 100 };
  const clientWith = (limits: Partial<AnthropicConfig> = {}) => {
    const anthropic: AnthropicConfig = { baseUrl: fake.url, timeoutMs: 5_000, maxRetries: 0, maxRetryWaitMs: 100, ...limits };
    return { client: new AnthropicLlmClient({ anthropic } as AppConfig), anthropic };
  };
  const streamed = async (client: AnthropicLlmClient) => {
    const deltas: string[] = [];
    const result = await client.stream(request, (t) => deltas.push(t));
    return { deltas, result };
  };

  beforeAll(() => fake.start());
  afterAll(() => fake.stop());
  beforeEach(() => fake.reset({ text: () => 'The quick brown fox jumps over the lazy dog', usage: () => ({ input_tokens: 40, output_tokens: 11, cache_read_input_tokens: 5 }) }));

  it('answers a whole message with its usage', async () => {
    await expect(clientWith().client.complete(request)).resolves.toEqual({
      text: 'The quick brown fox jumps over the lazy dog',
      usage: { input: 40, output: 11, cacheRead: 5, cacheWrite: 0 },
    });
    expect(fake.requests[0]).toMatchObject({ stream: false, maxTokens: 100, system: 'Be brief.' });
  });

  it('fails closed on a whole message without usage', async () => {
    fake.reset({ omitUsage: true });
    await expect(clientWith().client.complete(request)).rejects.toBeInstanceOf(LlmError);
  });

  it('streams the text deltas in order and ends with the final usage', async () => {
    const { deltas, result } = await streamed(clientWith().client);
    expect(fake.requests[0].stream).toBe(true);
    expect(deltas.length).toBeGreaterThan(3);
    expect(deltas.join('')).toBe('The quick brown fox jumps over the lazy dog');
    expect(result).toEqual({ status: 'ok', text: 'The quick brown fox jumps over the lazy dog', usage: { input: 40, output: 11, cacheRead: 5, cacheWrite: 0 } });
  });

  it('a stream that breaks mid-answer is interrupted: the text received and the usage announced at its start', async () => {
    fake.behaviour.dropAfterChunks = 2;
    const { deltas, result } = await streamed(clientWith({ maxRetries: 2 }).client);
    expect(result).toEqual({ status: 'interrupted', text: 'The quick brown ', reported: { input: 40, output: 1, cacheRead: 5, cacheWrite: 0 } });
    expect(deltas.join('')).toBe('The quick brown ');
    expect(fake.requests).toHaveLength(1); // a started answer is never asked for twice
  });

  it('a stream that ends without its final usage is interrupted too; without any usage it reports none', async () => {
    fake.behaviour.omitFinalUsage = true;
    expect((await streamed(clientWith().client)).result).toMatchObject({ status: 'interrupted', text: 'The quick brown fox jumps over the lazy dog', reported: { input: 40 } });
    fake.behaviour.omitUsage = true;
    expect((await streamed(clientWith().client)).result).toMatchObject({ status: 'interrupted', reported: null });
  });

  it("a stream slower than the timeout is cut at the timeout, keeping what arrived", async () => {
    Object.assign(fake.behaviour, { chunkDelayMs: 150 });
    const started = Date.now();
    const { result } = await streamed(clientWith({ timeoutMs: 400 }).client);
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(result.status).toBe('interrupted');
    expect(result.text.length).toBeGreaterThan(0);
    expect(result.text.length).toBeLessThan(43);
  });

  it('a 429 asking to retry after 45 s is retried after the capped pause, within the worst-case call', async () => {
    fake.reset({ failWith: 429, retryAfter: '45' });
    const { client, anthropic } = clientWith({ maxRetries: 2, maxRetryWaitMs: 200, timeoutMs: 1_000 });
    const started = Date.now();
    await expect(client.complete(request)).rejects.toBeInstanceOf(LlmError);
    await expect(client.stream(request, () => undefined)).rejects.toBeInstanceOf(LlmError);
    const took = Date.now() - started;
    expect(fake.requests).toHaveLength(6); // 1 + 2 retries, each way
    expect(took).toBeGreaterThanOrEqual(4 * 200 - 50); // it did pause (at the cap) …
    expect(took).toBeLessThan(2 * worstCaseCallMs(anthropic)); // … and never for 45 s
  });

  it('succeeds on a retry once the provider recovers', async () => {
    let calls = 0;
    fake.reset({ failWith: () => (calls++ === 0 ? 529 : undefined), retryAfter: '30', text: () => 'ok now' });
    await expect(clientWith({ maxRetries: 1 }).client.complete(request)).resolves.toMatchObject({ text: 'ok now' });
    expect(fake.requests).toHaveLength(2);
  });

  it('does not retry what a retry cannot fix (400), nor beyond maxRetries', async () => {
    fake.reset({ failWith: 400 });
    await expect(clientWith({ maxRetries: 3 }).client.complete(request)).rejects.toBeInstanceOf(LlmError);
    expect(fake.requests).toHaveLength(1);
  });

  it('an unanswered call ends after timeout × attempts + capped pauses', async () => {
    fake.reset({ latencyMs: 2_000 });
    const { client, anthropic } = clientWith({ maxRetries: 1, timeoutMs: 300, maxRetryWaitMs: 100 });
    const started = Date.now();
    await expect(client.complete(request)).rejects.toBeInstanceOf(LlmError);
    expect(Date.now() - started).toBeLessThan(worstCaseCallMs(anthropic) + 300);
    expect(fake.requests).toHaveLength(2);
  });
});
