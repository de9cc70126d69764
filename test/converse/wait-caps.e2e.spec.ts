import { APP_CONFIG, worstCaseCallMs, worstCaseTurnSeconds, type AppConfig } from '@loomworks/config';
import { SystemConfigService } from '@loomworks/system-config';
import { FakeAnthropic, type FakeRequest } from '../support/fake-anthropic';
import { TestContext, type SignedIn } from '../support/test-context';

const isClassify = (r: FakeRequest) => r.system.startsWith("Classify the user's message");

/**
 * Every wait inside a turn is capped (DESIGN.md "Converse pipeline" item 6): a provider answering
 * 429 with `retry-after: 45` can't stretch a turn past the worst case computed from the client's
 * own settings, so the turn settles within its hold; hold_ttl_seconds below that worst case is
 * refused, and the idempotency window follows the same worst case.
 */
describe('a turn cannot outlive its hold', () => {
  const fake = new FakeAnthropic();
  let ctx: TestContext;
  let admin: SignedIn;
  const env = { ANTHROPIC_MAX_RETRIES: '2', ANTHROPIC_TIMEOUT_MS: '1000', ANTHROPIC_MAX_RETRY_WAIT_MS: '300' };

  beforeAll(async () => {
    await fake.start();
    ctx = await TestContext.create({ realClock: true, env: { ...env, ANTHROPIC_BASE_URL: fake.url } });
    await ctx.get(SystemConfigService).set('anthropic_api_key', 'system-key');
    admin = await ctx.admin();
  });
  afterEach(() => ctx.expectLedgerConsistent());
  afterAll(async () => {
    await ctx.close();
    await fake.stop();
  });

  const config = () => ctx.get<AppConfig>(APP_CONFIG);
  const converse = (who: SignedIn) => ctx.http().post(`/engagements/${who.person.personalEngagementId}/converse`).set(ctx.as(who)).send({ message: 'slow down' });
  const putTtl = (value: number) => ctx.http().put('/admin/config/hold_ttl_seconds').set(ctx.as(admin)).send({ value });

  it('computes the worst case from the client settings in force, and the idempotency window follows it', () => {
    expect(worstCaseCallMs(config().anthropic)).toBe(1000 * 3 + 300 * 2);
    expect(worstCaseTurnSeconds(config().anthropic)).toBe(Math.ceil((3600 * 2) / 1000) + 30);
    expect(config().idempotencyPendingSeconds).toBe(worstCaseTurnSeconds(config().anthropic));
  });

  it('refuses hold_ttl_seconds below the worst-case turn, naming the least it accepts', async () => {
    const least = worstCaseTurnSeconds(config().anthropic);
    const refused = await putTtl(least - 1).expect(400);
    expect(refused.body).toEqual({ statusCode: 400, error: 'invalid_setting', message: expect.stringContaining(`from ${least} to`), key: 'hold_ttl_seconds' });
    expect(await ctx.get(SystemConfigService).get('hold_ttl_seconds')).toBe(600);
    await putTtl(2).expect(400);
    await putTtl(least).expect(200);
    expect(await ctx.get(SystemConfigService).get('hold_ttl_seconds')).toBe(least);
  });

  it('a provider answering 429 with retry-after: 45 is retried after capped pauses; the turn settles inside its hold', async () => {
    const who = await ctx.signedInPerson({ credit: { asset: 'haiku', amount: 100n } });
    let respondAttempts = 0;
    fake.reset({ retryAfter: '45', failWith: (r) => (isClassify(r) || ++respondAttempts > 2 ? undefined : 429) });
    const started = Date.now();
    const res = await converse(who).expect(200);
    const took = Date.now() - started;
    expect(res.body).toMatchObject({ status: 'ok', credit: { charged: 4 } });
    expect(respondAttempts).toBe(3);
    expect(took).toBeLessThan(worstCaseCallMs(config().anthropic) * 2); // not 90 s of sleeping
    const [hold] = await ctx.db.query<{ status: string; expires_at: Date; created_at: Date }>('SELECT status, expires_at, created_at FROM credit.holds WHERE person_id = $1', [who.person.id]);
    expect(hold.status).toBe('settled');
    expect(hold.expires_at.getTime() - hold.created_at.getTime()).toBeGreaterThanOrEqual(worstCaseTurnSeconds(config().anthropic) * 1000);
    expect(await ctx.db.query("SELECT 1 FROM credit.flows WHERE person_id = $1 AND metadata->>'late' = 'true'", [who.person.id])).toEqual([]);
  });

  it('a provider that keeps answering 429 + retry-after: 45 fails the turn within the worst case: nothing charged, the hold released', async () => {
    const who = await ctx.signedInPerson({ credit: { asset: 'haiku', amount: 100n } });
    fake.reset({ retryAfter: '45', failWith: 429 });
    const started = Date.now();
    const res = await converse(who).expect(502);
    expect(res.body.error).toBe('llm_error');
    expect(Date.now() - started).toBeLessThan(worstCaseCallMs(config().anthropic) + 1000);
    expect(fake.requests).toHaveLength(3); // classify: 1 + 2 retries, then given up
    expect(await ctx.db.query('SELECT status FROM credit.holds WHERE person_id = $1', [who.person.id])).toEqual([{ status: 'released' }]);
  });
});
