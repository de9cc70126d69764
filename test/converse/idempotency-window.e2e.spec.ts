import { LedgerService } from '@loomworks/credit/staff';
import { SystemConfigService } from '@loomworks/system-config';
import { TestContext, type SignedIn, waitFor } from '../support/test-context';
import { FakeAnthropic } from '../support/fake-anthropic';

/**
 * DESIGN "Idempotency fencing": a pending key is not taken over while its first request may still
 * commit. converse.e2e.spec.ts covers the takeover past the window; this covers the window itself:
 * a retry sent while the first request is in its LLM call is refused without a second call, and
 * once the first committed the retry replays its answer.
 */
describe('a retried converse inside the pending window (Idempotency-Key)', () => {
  const fake = new FakeAnthropic();
  let ctx: TestContext;
  let who: SignedIn;

  beforeAll(async () => {
    await fake.start();
    // pending window = 5 s timeout × 1 attempt × 2 stages + 30 s
    ctx = await TestContext.create({ env: { ANTHROPIC_BASE_URL: fake.url, ANTHROPIC_MAX_RETRIES: '0', ANTHROPIC_TIMEOUT_MS: '5000' } });
    await ctx.app.get(SystemConfigService).set('anthropic_api_key', 'system-key');
    who = await ctx.signedInPerson({ credit: { asset: 'haiku', amount: 100n } });
  });
  afterEach(() => ctx.expectLedgerConsistent());
  afterAll(async () => {
    await ctx.close();
    await fake.stop();
  });

  const send = (key: string) =>
    ctx.http().post(`/engagements/${who.person.personalEngagementId}/converse`)
      .set('authorization', `Bearer ${who.sessionToken}`).set('idempotency-key', key).send({ message: 'only once' }).then((r) => r);

  it('is refused with 409 idempotency_key_in_progress while the first runs, then replays the first answer', async () => {
    fake.reset({ latencyMs: 300 });
    const first = send('k-window');
    await waitFor(() => fake.requests.length >= 1); // the first request is in its LLM call
    // 29 s later: still inside the window, and well inside the first request's hold
    ctx.clock.set(new Date(ctx.clock.now().getTime() + 29_000));
    const retry = await send('k-window');
    expect(retry.status).toBe(409);
    expect(retry.body).toEqual({ statusCode: 409, error: 'idempotency_key_in_progress', message: expect.any(String) });

    const answered = await first;
    expect(answered.status).toBe(200);
    expect(fake.requests).toHaveLength(2); // classify + respond of the first request only
    const replay = await send('k-window');
    expect(replay.status).toBe(200);
    expect(replay.body).toEqual(answered.body);
    expect(fake.requests).toHaveLength(2);
    expect(await ctx.app.get(LedgerService).balance(who.person.id, 'haiku')).toBe(100n - BigInt(answered.body.credit.charged));
    expect(await ctx.db.query("SELECT count(*)::int AS n FROM credit.flows WHERE person_id = $1 AND kind = 'consumption'", [who.person.id])).toEqual([{ n: 2 }]);
  });
});
