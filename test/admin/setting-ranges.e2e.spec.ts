import { APP_CONFIG, worstCaseTurnSeconds, type AppConfig } from '@loomworks/config';
import { SystemConfigService } from '@loomworks/system-config';
import { FakeAnthropic } from '../support/fake-anthropic';
import { TestContext, type SignedIn, uniqueEmail } from '../support/test-context';

interface ConfigItem {
  key: string;
  secret: boolean;
  value?: unknown;
  allowed: string;
  range?: { min: number; max: number };
}

/**
 * DESIGN (Bounded everything): every setting has a range that keeps the system working. Each
 * numeric key is walked to its bounds — the system still takes a turn, a grant, a signup and a
 * login there — and just past them, which is refused with 400 naming the range.
 */
describe('settings ranges', () => {
  const fake = new FakeAnthropic();
  const anthropic = { ANTHROPIC_MAX_RETRIES: '0', ANTHROPIC_TIMEOUT_MS: '3000' };
  let ctx: TestContext;
  let admin: SignedIn;
  let member: SignedIn;

  beforeAll(async () => {
    await fake.start();
    ctx = await TestContext.create({ env: { ANTHROPIC_BASE_URL: fake.url, ...anthropic, LOGIN_MAX_FAILURES: '1000', AUTH_STARTS_PER_MINUTE: '1000' } });
    await ctx.get(SystemConfigService).set('anthropic_api_key', 'system-key');
    admin = await ctx.admin();
    member = await ctx.signedInPerson({ credit: { asset: 'sonnet', amount: 100_000_000n } });
  });
  afterEach(() => ctx.expectLedgerConsistent());
  afterAll(async () => {
    await ctx.close();
    await fake.stop();
  });

  const config = async (): Promise<ConfigItem[]> => (await ctx.http().get('/admin/config').set(ctx.as(admin)).expect(200)).body.items;
  const put = (key: string, value: unknown) => ctx.http().put(`/admin/config/${key}`).set(ctx.as(admin)).send({ value });

  it('GET /admin/config shows what each key takes, and the range of every numeric key', async () => {
    const items = await config();
    for (const item of items) expect(item.allowed).toEqual(expect.any(String));
    const numeric = items.filter((i) => typeof i.value === 'number');
    expect(numeric.length).toBeGreaterThanOrEqual(8);
    for (const item of numeric) {
      expect({ key: item.key, range: item.range }).toEqual({ key: item.key, range: { min: expect.any(Number), max: expect.any(Number) } });
      expect(item.allowed).toContain(`from ${item.range!.min} to ${item.range!.max}`);
      expect(Number.isSafeInteger(item.range!.max)).toBe(true);
    }
    // a hold outlives the worst-case turn of this server's LLM client settings
    const hold = items.find((i) => i.key === 'hold_ttl_seconds')!;
    expect(hold.range!.min).toBe(worstCaseTurnSeconds(ctx.get<AppConfig>(APP_CONFIG).anthropic));
    expect(hold.range!.min).toBeGreaterThan(2);
  });

  it.each([
    ['hold_ttl_seconds', 2147483648],
    ['max_turns_in_flight', 2147483648],
    ['grant_default_expiry_days', Number.MAX_SAFE_INTEGER],
    ['email_eligibility_cooling_days', Number.MAX_SAFE_INTEGER],
    ['session_ttl_hours', 3e9],
    ['hold_ttl_seconds', 2],
  ])('refuses %s = %d (the values that made turns, grants, signups or logins 500) with 400 naming the range', async (key, value) => {
    const res = await put(key, value).expect(400);
    expect(res.body).toMatchObject({ statusCode: 400, error: 'invalid_setting', message: expect.stringMatching(/from \d+ to \d+/) });
  });

  it('walks every numeric key to its bounds (the system works) and just past them (400 naming the range)', async () => {
    const numeric = (await config()).filter((i) => i.range !== undefined);
    for (const { key, value: original, range } of numeric) {
      const { min, max } = range!;
      for (const outside of [min - 1, max + 1]) {
        const refused = await put(key, outside);
        expect({ key, outside, status: refused.status, error: refused.body.error }).toEqual({ key, outside, status: 400, error: 'invalid_setting' });
        expect(refused.body.message).toContain(`from ${min} to ${max}`);
      }
      for (const bound of [min, max]) {
        expect({ key, bound, status: (await put(key, bound)).status }).toEqual({ key, bound, status: 200 });
        await expectSystemWorks(`${key}=${bound}`);
      }
      await put(key, original).expect(200);
    }
  }, 300_000);

  /** A turn, a grant, a signup and a login, each answered without a 5xx. */
  async function expectSystemWorks(setting: string): Promise<void> {
    const turn = await ctx.http().post(`/engagements/${member.person.personalEngagementId}/converse`).set(ctx.as(member)).send({ message: 'Still working?' });
    expect({ setting, turn: turn.status, status: turn.body.status }).toEqual({ setting, turn: 200, status: expect.stringMatching(/^(ok|credit_exhausted)$/) });
    const grant = await ctx.http().post('/admin/grants').set(ctx.as(admin)).send({ recipientEmail: uniqueEmail('walk'), asset: 'haiku', kind: 'promo', amount: 5 });
    expect({ setting, grant: grant.status }).toEqual({ setting, grant: 201 });
    const signedUp = await ctx.signedInPerson();
    expect(signedUp.sessionToken).toEqual(expect.any(String));
    ctx.clock.nextTotpStep();
    const login = await ctx.login(member);
    expect({ setting, login: login.status }).toEqual({ setting, login: 200 });
  }
});
