import { GrantsService } from '@loomworks/credit';
import { SystemConfigService } from '@loomworks/system-config';
import { uniqueEmail } from '../support/credit-fixtures';
import { AuthWorld, type SignedUp } from '../support/auth-world';
import { FakeAnthropic } from '../support/fake-anthropic';
import { Scrape } from '../support/prometheus';

const TOKEN = 'metrics-scrape-token-for-tests';

describe('/metrics', () => {
  const fake = new FakeAnthropic();
  let world: AuthWorld;
  let member: SignedUp;

  beforeAll(async () => {
    await fake.start();
    world = await AuthWorld.create({ env: { METRICS_TOKEN: TOKEN, ANTHROPIC_BASE_URL: fake.url, ANTHROPIC_MAX_RETRIES: '0' } });
    await world.app.get(SystemConfigService).set('anthropic_api_key', 'system-key');
    member = await world.signup();
  });
  afterEach(() => world.expectLedgerConsistent());
  afterAll(async () => {
    await world.close();
    await fake.stop();
  });

  const as = (who: SignedUp) => ({ authorization: `Bearer ${who.sessionToken}` });
  const scrape = async () => {
    const res = await world.http().get('/metrics').set({ authorization: `Bearer ${TOKEN}` }).expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    return new Scrape(res.text);
  };

  it('refuses a scrape without the METRICS_TOKEN bearer, with the error shape', async () => {
    for (const authorization of [undefined, 'Bearer wrong', TOKEN, `Bearer ${member.sessionToken}`]) {
      const req = world.http().get('/metrics');
      const res = await (authorization ? req.set({ authorization }) : req).expect(401);
      expect(res.body).toEqual({ statusCode: 401, error: 'unauthenticated', message: expect.any(String) });
    }
  });

  it('parses as Prometheus text, with names in conventions and units in the name', async () => {
    const metrics = await scrape();
    const types = Object.fromEntries(metrics.families.map((f) => [f.name, f.type]));
    expect(types).toMatchObject({
      http_requests_total: 'COUNTER',
      http_request_duration_seconds: 'HISTOGRAM',
      loomworks_turns_total: 'COUNTER',
      loomworks_credits_charged_total: 'COUNTER',
      loomworks_reconciler_findings_total: 'COUNTER',
      loomworks_db_pool_connections: 'GAUGE',
    });
    expect(metrics.value('loomworks_db_pool_connections', { state: 'in_use' })).toBeGreaterThanOrEqual(0);
    expect(metrics.family('loomworks_db_pool_connections')!.metrics.map((m) => m.labels?.state).sort()).toEqual(['idle', 'in_use', 'waiting']);
  });

  it('counts requests by route template and status, with durations', async () => {
    const route = '/admin/persons/:id/credit';
    const before = await scrape();
    await world.http().get('/me').set(as(member)).expect(200);
    await world.http().get('/me').set(as(member)).expect(200);
    await world.http().get('/me').expect(401);
    await world.http().get(`/admin/persons/${member.person.id}/credit`).set(as(member)).expect(403);
    await world.http().get('/no/such/route').expect(404);
    const after = await scrape();

    const delta = (labels: Record<string, string>) => after.value('http_requests_total', labels) - before.value('http_requests_total', labels);
    expect(delta({ method: 'GET', route: '/me', status: '200' })).toBe(2);
    expect(delta({ method: 'GET', route: '/me', status: '401' })).toBe(1);
    expect(delta({ method: 'GET', route, status: '403' })).toBe(1);
    expect(delta({ method: 'GET', route: 'unmatched', status: '404' })).toBe(1);
    expect(after.family('http_requests_total')!.metrics.some((m) => m.labels?.route?.includes(member.person.id))).toBe(false);
    const durations = (s: Scrape) => s.count('http_request_duration_seconds', { method: 'GET', route: '/me', status: '200' });
    expect(durations(after) - durations(before)).toBe(2);
  });

  it('counts turns by key source and status, and the credits they charged by asset', async () => {
    const email = uniqueEmail('metered');
    const { claimToken } = await world.app.get(GrantsService).issue({ recipientEmail: email, asset: 'sonnet', kind: 'welcome', amount: 25n });
    const who = await world.signup({ email, claimToken });
    const converse = () => world.http().post(`/engagements/${who.person.personalEngagementId}/converse`).set(as(who)).send({ message: 'hello' }).expect(200);

    const before = await scrape();
    const first = await converse();
    expect(first.body.status).toBe('ok');
    const second = await converse(); // 25 − 10 = 15 left: still ok (a lowered max_tokens); the 5 left then can't carry a turn
    expect(second.body.status).toBe('ok');
    const third = await converse();
    expect(third.body.status).toBe('credit_exhausted');
    const after = await scrape();

    const delta = (name: string, labels: Record<string, string>) => after.value(name, labels) - before.value(name, labels);
    expect(delta('loomworks_turns_total', { key_source: 'system', status: 'ok' })).toBe(2);
    expect(delta('loomworks_turns_total', { key_source: 'system', status: 'credit_exhausted' })).toBe(1);
    expect(delta('loomworks_credits_charged_total', { asset: 'sonnet' })).toBe(first.body.credit.charged + second.body.credit.charged);
  });
});
