import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { HoldsService } from '@loomworks/credit/staff';
import { Transactions } from '@loomworks/database';
import { OutboxWorker } from '@loomworks/notifications';
import { FINDING_KINDS } from '@loomworks/operations';
import { Outbox } from '@loomworks/outbox';
import { SystemConfigService } from '@loomworks/system-config';
import { TestContext, type SignedIn } from '../support/test-context';
import { FakeAnthropic } from '../support/fake-anthropic';
import { PgProxy } from '../support/pg-proxy';
import { Scrape } from '../support/prometheus';
import { freePort } from '../support/free-port';
import { createTestApp } from '../support/test-app';

const TOKEN = 'metrics-scrape-token-for-tests';

describe('/metrics', () => {
  const fake = new FakeAnthropic();
  let ctx: TestContext;
  let member: SignedIn;

  beforeAll(async () => {
    await fake.start();
    // No background outbox worker: the outbox tests drain it themselves.
    ctx = await TestContext.create({ env: { METRICS_TOKEN: TOKEN, ANTHROPIC_BASE_URL: fake.url, ANTHROPIC_MAX_RETRIES: '0', OUTBOX_POLL_MS: '0' } });
    await ctx.get(SystemConfigService).set('anthropic_api_key', 'system-key');
    member = await ctx.signedInPerson();
  });
  afterEach(() => ctx.expectLedgerConsistent());
  afterAll(async () => {
    await ctx.close();
    await fake.stop();
  });

  const scrape = async () => {
    const res = await ctx.http().get('/metrics').set({ authorization: `Bearer ${TOKEN}` }).expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    return new Scrape(res.text);
  };

  it('reports idle gauges as 0 from the first scrape: every credit asset and every outbox job kind', async () => {
    const metrics = await scrape();
    const samples = (name: string, label: string) =>
      Object.fromEntries(metrics.family(name)!.metrics.map((m) => [m.labels![label], Number(m.value)]));
    for (const name of ['loomworks_holds_active', 'loomworks_credits_held']) {
      expect(samples(name, 'asset')).toEqual({ opus: 0, sonnet: 0, haiku: 0 });
    }
    for (const name of ['loomworks_outbox_jobs_pending', 'loomworks_outbox_oldest_pending_age_seconds', 'loomworks_outbox_overdue_seconds']) {
      expect(samples(name, 'kind')).toEqual({ mail: 0, event: 0, webhook: 0 });
    }
  });

  it('keeps the label sets bounded: unmatched paths and odd methods add no label values', async () => {
    const fastify = ctx.app.getHttpAdapter().getInstance();
    const methods = ['GET', 'POST', 'PROPFIND', 'MKCOL', 'PURGE'] as const;
    const series = (s: Scrape) => s.family('http_requests_total')!.metrics.length + s.family('http_request_duration_seconds')!.metrics.length;
    const junk = async (round: number) => {
      for (let i = 0; i < 40; i++) {
        await fastify.inject({ method: methods[i % methods.length] as 'GET', url: `/junk-${round}-${i}/${'x'.repeat(i)}?q=${i}` });
      }
    };
    await junk(1);
    const once = await scrape();
    await junk(2);
    const twice = await scrape();
    expect(series(twice)).toBe(series(once));
    const unmatched = twice.family('http_requests_total')!.metrics.filter((m) => m.labels?.route === 'unmatched');
    expect([...new Set(unmatched.map((m) => m.labels!.method))].sort()).toEqual(['GET', 'POST', 'other']);
    expect(twice.family('http_requests_total')!.metrics.some((m) => Object.values(m.labels ?? {}).some((v) => v.includes('junk')))).toBe(false);
  });

  it('refuses a scrape without the METRICS_TOKEN bearer, with the error shape', async () => {
    for (const authorization of [undefined, 'Bearer wrong', TOKEN, `Bearer ${member.sessionToken}`]) {
      const req = ctx.http().get('/metrics');
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
      loomworks_holds_active: 'GAUGE',
      loomworks_credits_held: 'GAUGE',
      loomworks_outbox_jobs_pending: 'GAUGE',
      loomworks_outbox_oldest_pending_age_seconds: 'GAUGE',
      loomworks_outbox_overdue_seconds: 'GAUGE',
    });
    expect(metrics.value('loomworks_db_pool_connections', { state: 'in_use' })).toBeGreaterThanOrEqual(0);
    // every finding kind is there from the start, at 0 on this clean ledger
    expect(metrics.family('loomworks_reconciler_findings_total')!.metrics.map((m) => [m.labels?.kind, m.value])).toEqual(
      FINDING_KINDS.map((kind) => [kind, '0']),
    );
    expect(metrics.family('loomworks_db_pool_connections')!.metrics.map((m) => m.labels?.state).sort()).toEqual(['idle', 'in_use', 'waiting']);
  });

  it('counts requests by route template and status, with durations', async () => {
    const route = '/admin/persons/:id/credit';
    const before = await scrape();
    await ctx.http().get('/me').set(ctx.as(member)).expect(200);
    await ctx.http().get('/me').set(ctx.as(member)).expect(200);
    await ctx.http().get('/me').expect(401);
    await ctx.http().get(`/admin/persons/${member.person.id}/credit`).set(ctx.as(member)).expect(403);
    await ctx.http().get('/no/such/route').expect(404);
    const after = await scrape();

    const delta = (labels: Record<string, string>) => after.value('http_requests_total', labels) - before.value('http_requests_total', labels);
    expect(delta({ method: 'GET', route: '/me', status: '200' })).toBe(2);
    expect(delta({ method: 'GET', route: '/me', status: '401' })).toBe(1);
    expect(delta({ method: 'GET', route, status: '403' })).toBe(1);
    expect(delta({ method: 'GET', route: 'unmatched', status: '404' })).toBe(1);
    expect(after.family('http_requests_total')!.metrics.some((m) => m.labels?.route?.includes(member.person.id))).toBe(false);
    // durations by method and route only: every label set of a histogram costs a dozen series
    const durations = (s: Scrape) => s.count('http_request_duration_seconds', { method: 'GET', route: '/me' });
    expect(durations(after) - durations(before)).toBe(3);
    expect(after.family('http_request_duration_seconds')!.metrics.some((m) => m.labels?.status !== undefined)).toBe(false);
  });

  it('counts turns by key source and status, and the credits they charged by asset', async () => {
    const who = await ctx.signedInPerson({ credit: { asset: 'sonnet', amount: 25n } });
    const converse = () => ctx.http().post(`/engagements/${who.person.personalEngagementId}/converse`).set(ctx.as(who)).send({ message: 'hello' }).expect(200);

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

  it('reports active holds and the credit they hold, by asset, read from the database at scrape time', async () => {
    const who = await ctx.signedInPerson({ credit: { asset: 'haiku', amount: 500n } });
    const holds = ctx.get(HoldsService);
    const before = await scrape();
    const placed = await holds.place({
      personId: who.person.id, turnId: randomUUID(), classify: { inputTokens: 200, maxTokens: 10 }, respond: { inputTokens: 300, maxTokens: 1024 },
    });
    if (placed.status !== 'placed') throw new Error(`hold not placed: ${placed.status}`);
    const during = await scrape();
    const delta = (s: Scrape, name: string) => s.value(name, { asset: 'haiku' }) - before.value(name, { asset: 'haiku' });
    expect(delta(during, 'loomworks_holds_active')).toBe(1);
    expect(delta(during, 'loomworks_credits_held')).toBe(Number(placed.hold.amount));
    await holds.release(placed.hold.id);
    const after = await scrape();
    expect(delta(after, 'loomworks_holds_active')).toBe(0);
    expect(after.value('loomworks_holds_active', { asset: 'haiku' })).toBe(0); // still reported, as 0
    expect(delta(after, 'loomworks_credits_held')).toBe(0);
  });

  it("reports the outbox's depth and the age of its oldest job, and counts the jobs its worker ran", async () => {
    const drain = () => ctx.get(OutboxWorker).drain();
    await drain();
    const before = await scrape();
    await ctx.get(Transactions).run((tx) => ctx.get(Outbox).recordEvent(tx, { type: 'grant.revoked', data: { grantId: 'g-metrics' } }));
    ctx.clock.set(new Date(ctx.clock.now().getTime() + 42_000));
    const waiting = await scrape();
    expect(waiting.value('loomworks_outbox_jobs_pending', { kind: 'event' })).toBe(1);
    expect(waiting.value('loomworks_outbox_oldest_pending_age_seconds', { kind: 'event' })).toBe(42);
    expect(waiting.value('loomworks_outbox_overdue_seconds', { kind: 'event' })).toBe(42);
    await drain();
    const drained = await scrape();
    expect(drained.value('loomworks_outbox_jobs_pending', { kind: 'event' })).toBe(0);
    expect(drained.value('loomworks_outbox_oldest_pending_age_seconds', { kind: 'event' })).toBe(0);
    const sent = (s: Scrape) => s.value('loomworks_outbox_jobs_total', { kind: 'event', result: 'sent' });
    expect(sent(drained) - sent(before)).toBe(1);
  });

  describe('without METRICS_TOKEN', () => {
    let app: NestFastifyApplication;
    let metricsPort: number;
    beforeAll(async () => {
      metricsPort = await freePort();
      app = await createTestApp(ctx.db.url, { env: { METRICS_PORT: String(metricsPort), METRICS_CACHE_MS: '60000', OUTBOX_POLL_MS: '0' } });
    });
    afterAll(() => app.close());
    const inject = (options: { remoteAddress?: string; headers?: Record<string, string> } = {}) =>
      app.getHttpAdapter().getInstance().inject({ method: 'GET', url: '/metrics', ...options });

    it('answers on the API port only a loopback client that came through no proxy', async () => {
      for (const remoteAddress of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1']) {
        expect((await inject({ remoteAddress })).statusCode).toBe(200);
      }
      const refused: { remoteAddress: string; headers?: Record<string, string> }[] = [
        { remoteAddress: '203.0.113.9' },
        { remoteAddress: '192.168.1.20' },
        { remoteAddress: '::ffff:10.0.0.1' },
        { remoteAddress: '2001:db8::1' },
        // a reverse proxy on the same machine connects from loopback, for anyone
        { remoteAddress: '127.0.0.1', headers: { 'x-forwarded-for': '203.0.113.9' } },
        { remoteAddress: '127.0.0.1', headers: { forwarded: 'for=203.0.113.9' } },
        { remoteAddress: '127.0.0.1', headers: { 'x-real-ip': '203.0.113.9' } },
      ];
      for (const options of refused) {
        const res = await inject(options);
        expect([res.statusCode, res.json()]).toEqual([404, { statusCode: 404, error: 'not_found', message: expect.stringContaining('METRICS_TOKEN') }]);
        expect(res.body).not.toContain('loomworks_');
      }
    });

    it('answers anyone on METRICS_PORT (loopback by default), and nothing else there', async () => {
      const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(new Scrape(await res.text()).family('loomworks_holds_active')).toBeDefined();
      expect((await fetch(`http://127.0.0.1:${metricsPort}/admin/config`)).status).toBe(404);
      expect((await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { method: 'POST' })).status).toBe(404);
    });

    it('reuses a scrape for METRICS_CACHE_MS, and concurrent scrapes share one', async () => {
      const first = (await inject()).body;
      await app.getHttpAdapter().getInstance().inject({ method: 'GET', url: '/health' });
      const [again, ...concurrent] = await Promise.all([inject(), inject(), inject(), fetch(`http://127.0.0.1:${metricsPort}/metrics`).then((r) => r.text())]);
      expect([again.body, ...concurrent.map((c) => (typeof c === 'string' ? c : c.body))]).toEqual([first, first, first, first]);
      // a cache entry older than METRICS_CACHE_MS is rendered again, with what happened since
      const later = Date.now() + 60_001;
      const clock = jest.spyOn(Date, 'now').mockReturnValue(later);
      let fresh: string;
      try {
        fresh = (await inject()).body;
      } finally {
        clock.mockRestore();
      }
      expect(new Scrape(fresh).value('http_requests_total', { method: 'GET', route: '/health', status: '200' })).toBe(
        new Scrape(first).value('http_requests_total', { method: 'GET', route: '/health', status: '200' }) + 1,
      );
    });
  });

  it('still answers a scrape while the database is down, leaving out the gauges it could not read', async () => {
    const target = new URL(ctx.db.url);
    const proxy = new PgProxy({ host: target.hostname, port: Number(target.port) });
    await proxy.start();
    // another instance, reaching the database through a proxy we can cut
    const app = await createTestApp(proxy.wrap(ctx.db.url), { env: { METRICS_TOKEN: TOKEN, OUTBOX_POLL_MS: '0' } });
    const scrapeThere = async () => {
      const res = await request(app.getHttpServer()).get('/metrics').set({ authorization: `Bearer ${TOKEN}` }).expect(200);
      return new Scrape(res.text);
    };
    try {
      await ctx.get(Transactions).run((tx) => ctx.get(Outbox).recordEvent(tx, { type: 'grant.revoked', data: { grantId: 'g-outage' } }));
      expect((await scrapeThere()).family('loomworks_outbox_jobs_pending')!.metrics.length).toBeGreaterThan(0);
      await proxy.stop();
      const down = await scrapeThere();
      expect(down.family('loomworks_outbox_jobs_pending')?.metrics ?? []).toEqual([]);
      expect(down.family('loomworks_holds_active')?.metrics ?? []).toEqual([]);
      expect(down.family('http_requests_total')!.metrics.length).toBeGreaterThan(0);
      expect(down.family('loomworks_db_pool_connections')!.metrics.length).toBe(3);
      await proxy.start();
      expect((await scrapeThere()).value('loomworks_outbox_jobs_pending', { kind: 'event' })).toBeGreaterThan(0);
    } finally {
      await app.close();
      await proxy.stop();
      await ctx.get(OutboxWorker).drain();
    }
  }, 120_000); // starts another app instance
});
