import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { CLOCK } from '@loomworks/common';
import { LedgerService } from '@loomworks/credit/staff';
import { TestContext, type SignedIn, uniqueEmail } from '../support/test-context';
import { PgProxy } from '../support/pg-proxy';
import { createTestApp } from '../support/test-app';

/**
 * Postgres goes away under load: every answer is a success or a 503 in the error shape (never a
 * 500 with internals, never a hang), /health says 503, and once it is back everything recovers
 * by itself, with the ledger's invariants intact.
 */
describe('a database outage under load', () => {
  let ctx: TestContext;
  let proxy: PgProxy;
  let app: NestFastifyApplication;
  let admin: SignedIn;

  beforeAll(async () => {
    ctx = await TestContext.create();
    admin = await ctx.admin();
    const target = new URL(ctx.db.url);
    proxy = new PgProxy({ host: target.hostname, port: Number(target.port) });
    await proxy.start();
    // A second app, like a separate instance, reaching the same database through the proxy.
    app = await createTestApp(proxy.wrap(ctx.db.url), { override: (b) => b.overrideProvider(CLOCK).useValue(ctx.clock) });
  });
  afterAll(async () => {
    await app.close();
    await proxy.stop();
    await ctx.close();
  });

  const http = () => request(app.getHttpServer());
  const load = () => [
    http().get('/me').set(ctx.as(admin)),
    http().post('/auth/login/begin').send({ email: uniqueEmail('outage') }),
    http().post('/admin/grants').set(ctx.as(admin)).send({ recipientEmail: uniqueEmail('outage'), asset: 'sonnet', kind: 'welcome', amount: 5 }),
    http().get('/admin/audit?limit=5').set(ctx.as(admin)),
    http().get('/me/credit').set(ctx.as(admin)),
  ];
  const expectSuccessOr503 = (res: request.Response) => {
    if (res.status < 400) return;
    expect({ status: res.status, body: res.body }).toMatchObject({
      status: 503,
      body: { statusCode: 503, error: 'db_unavailable', message: expect.any(String) },
    });
    // nothing but the error shape (+ a request id; /health adds its own status fields)
    for (const field of Object.keys(res.body)) expect(['statusCode', 'error', 'message', 'requestId', 'status', 'db']).toContain(field);
    expect(JSON.stringify(res.body)).not.toMatch(/ECONN|connect |terminated|127\.0\.0\.1|\.ts/);
  };

  it('answers 503 in the error shape while it is down, and recovers by itself', async () => {
    for (const res of await Promise.all(load())) expect(res.status).toBeLessThan(400);

    // Cut it while a burst is in flight.
    const inFlight = Promise.all([...load(), ...load(), ...load()]);
    await proxy.stop();
    for (const res of await inFlight) expectSuccessOr503(res);

    const started = Date.now();
    const down = await Promise.all([...load(), http().get('/health')]);
    expect(Date.now() - started).toBeLessThan(20_000); // bounded: no request hangs on a dead database
    for (const res of down) {
      expect(res.status).toBe(503);
      expectSuccessOr503(res);
    }

    await proxy.start();
    await http().get('/health').expect(200, { status: 'ok', db: 'up' });
    for (const res of await Promise.all(load())) expect(res.status).toBeLessThan(400);
    expect(await ctx.get(LedgerService).verify()).toMatchObject({ ok: true, drift: [] });
  });
});
