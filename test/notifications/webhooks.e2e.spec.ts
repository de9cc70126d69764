import { Transactions } from '@loomworks/database';
import { OutboxWorker } from '@loomworks/notifications';
import { Outbox, type EventType } from '@loomworks/outbox';
import { TestContext, type SignedIn } from '../support/test-context';
import { createTestApp } from '../support/test-app';
import { verifyStandardWebhook, WebhookReceiver } from '../support/webhook-receiver';

describe('webhooks', () => {
  const receiver = new WebhookReceiver();
  let ctx: TestContext;
  let admin: SignedIn;

  // No background polling: each test drains the outbox itself, at the test clock's time.
  const env = { WEBHOOK_ALLOW_HTTP: 'true', OUTBOX_POLL_MS: '0' };

  beforeAll(async () => {
    await receiver.start();
    ctx = await TestContext.create({ env });
    admin = await ctx.admin();
  });
  beforeEach(() => receiver.reset());
  afterEach(async () => {
    for (const { id } of (await get('/admin/webhooks').expect(200)).body.items) await ctx.http().delete(`/admin/webhooks/${id}`).set(ctx.as(admin)).expect(204);
    await ctx.expectLedgerConsistent();
  });
  afterAll(async () => {
    await ctx.close();
    await receiver.stop();
  });

  const get = (path: string) => ctx.http().get(path).set(ctx.as(admin));
  const register = (body: object) => ctx.http().post('/admin/webhooks').set(ctx.as(admin)).send(body);
  const drain = () => ctx.get(OutboxWorker).drain();
  const record = (type: EventType, data: Record<string, unknown>) =>
    ctx.get(Transactions).run((tx) => ctx.get(Outbox).recordEvent(tx, { type, data }));

  describe('admin routes', () => {
    it('registers an endpoint and shows its whsec_ secret once; the secret is stored encrypted', async () => {
      const created = await register({ url: receiver.url, events: ['grant.issued', 'credit.low'], description: 'ops' }).expect(201);
      expect(created.body).toEqual({
        id: expect.any(String),
        url: receiver.url,
        events: ['grant.issued', 'credit.low'],
        description: 'ops',
        secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/),
        createdAt: expect.any(String),
      });
      const listed = await get('/admin/webhooks').expect(200);
      expect(listed.body.items).toEqual([
        { id: created.body.id, url: receiver.url, events: ['grant.issued', 'credit.low'], description: 'ops', createdAt: created.body.createdAt, lastDeliveryAt: null, failing: false },
      ]);
      const [row] = await ctx.db.query<{ secret_encrypted: string }>('SELECT secret_encrypted FROM webhook_endpoints WHERE id = $1', [created.body.id]);
      expect(row.secret_encrypted).toMatch(/^gAAAAA/);
      expect(row.secret_encrypted).not.toContain(created.body.secret.slice('whsec_'.length));
      const audit = await get('/admin/audit').expect(200);
      expect(audit.body.items[0]).toMatchObject({ action: 'webhook.create', subjectType: 'webhook', subjectId: created.body.id });
    });

    it.each([
      [{ url: 'ftp://127.0.0.1/hook', events: ['grant.issued'] }, 'url'],
      [{ url: 'not a url', events: ['grant.issued'] }, 'url'],
      [{ url: 'https://hooks.example.com', events: ['grant.exploded'] }, 'events'],
      [{ url: 'https://hooks.example.com', events: [] }, 'events'],
      [{ url: 'https://hooks.example.com' }, 'events'],
      [{ url: 'https://hooks.example.com', events: ['grant.issued'], secret: 'mine' }, 'secret'],
    ])('refuses %j with 400 naming %s', async (body, field) => {
      const res = await register(body).expect(400);
      expect(res.body).toMatchObject({ statusCode: 400, error: 'validation_failed' });
      expect(res.body.fields.map((f: { field: string }) => f.field)).toContain(field);
      expect((await get('/admin/webhooks').expect(200)).body.items).toEqual([]);
    });

    it('answers 404 webhook_not_found for an unknown or deleted endpoint', async () => {
      const created = await register({ url: receiver.url, events: ['grant.issued'] }).expect(201);
      await ctx.http().delete(`/admin/webhooks/${created.body.id}`).set(ctx.as(admin)).expect(204);
      for (const id of [created.body.id, '00000000-0000-4000-8000-000000000000']) {
        const gone = await ctx.http().delete(`/admin/webhooks/${id}`).set(ctx.as(admin)).expect(404);
        expect(gone.body).toEqual({ statusCode: 404, error: 'webhook_not_found', message: expect.any(String) });
        await get(`/admin/webhooks/${id}/deliveries`).expect(404);
      }
    });

    it('refuses members', async () => {
      const member = await ctx.signedInPerson();
      await ctx.http().get('/admin/webhooks').set(ctx.as(member)).expect(403);
      await ctx.http().post('/admin/webhooks').set(ctx.as(member)).send({ url: receiver.url, events: ['grant.issued'] }).expect(403);
    });
  });

  describe('GET /admin/events', () => {
    it('lists events newest first, by type, page by page; an unknown type is a 400', async () => {
      const a = await record('grant.claimed', { grantId: 'ga' });
      ctx.clock.advanceSeconds(1);
      const b = await record('grant.claimed', { grantId: 'gb' });
      ctx.clock.advanceSeconds(1);
      await record('account.reactivated', { personId: 'p9' });
      const first = await get('/admin/events?type=grant.claimed&limit=1').expect(200);
      expect(first.body.items).toEqual([{ id: b.id, type: 'grant.claimed', data: { grantId: 'gb' }, createdAt: b.timestamp.toISOString() }]);
      const second = await get(`/admin/events?type=grant.claimed&limit=1&cursor=${first.body.nextCursor}`).expect(200);
      expect(second.body.items.map((e: { id: string }) => e.id)).toEqual([a.id]);
      expect((await get('/admin/events?limit=1').expect(200)).body.items[0].type).toBe('account.reactivated');
      const bad = await get('/admin/events?type=grant.exploded').expect(400);
      expect(bad.body.error).toBe('validation_failed');
      await get('/admin/events?cursor=not-ours').expect(400);
    });
  });

  describe('deliveries', () => {
    it('signs per Standard Webhooks, verified independently, and delivers only subscribed types', async () => {
      const { body: endpoint } = await register({ url: receiver.url, events: ['ledger.drift'] }).expect(201);
      const event = await record('ledger.drift', { runId: 'r1', kind: 'balance_drift' });
      await record('grant.revoked', { grantId: 'g1' });
      await drain();
      expect(receiver.received).toHaveLength(1);
      const [got] = receiver.received;
      expect(got.event).toEqual({ type: 'ledger.drift', timestamp: event.timestamp.toISOString(), data: { runId: 'r1', kind: 'balance_drift' } });
      expect(got.headers['webhook-id']).toBe(event.id);
      expect(got.headers['webhook-timestamp']).toBe(String(Math.floor(ctx.clock.now().getTime() / 1000)));
      expect(got.headers['content-type']).toBe('application/json');
      expect(verifyStandardWebhook(endpoint.secret, got.headers, got.body)).toBe(true);
      expect(verifyStandardWebhook(endpoint.secret, got.headers, got.body.replace('r1', 'r2'))).toBe(false);
      const log = await get(`/admin/webhooks/${endpoint.id}/deliveries`).expect(200);
      expect(log.body).toEqual({
        items: [{ id: expect.any(String), eventId: event.id, eventType: 'ledger.drift', attempt: 1, status: 'delivered', responseStatus: 204, at: expect.any(String) }],
        nextCursor: null,
      });
      expect((await get('/admin/webhooks').expect(200)).body.items[0].lastDeliveryAt).toBe(ctx.clock.now().toISOString());
    });

    it('retries after 5 s and 30 s: a receiver that fails twice gets the event on the third attempt, same webhook-id', async () => {
      const { body: endpoint } = await register({ url: receiver.url, events: ['grant.revoked'] }).expect(201);
      receiver.failNext(2);
      const event = await record('grant.revoked', { grantId: 'g2' });
      await drain();
      expect(receiver.received.map((r) => r.status)).toEqual([500]);
      ctx.clock.advanceSeconds(4);
      await drain();
      expect(receiver.received).toHaveLength(1); // not before 5 s
      ctx.clock.advanceSeconds(1);
      await drain();
      expect(receiver.received.map((r) => r.status)).toEqual([500, 500]);
      ctx.clock.advanceSeconds(30);
      await drain();
      expect(receiver.received.map((r) => r.status)).toEqual([500, 500, 204]);
      expect(new Set(receiver.received.map((r) => r.headers['webhook-id']))).toEqual(new Set([event.id]));
      expect(receiver.received.every((r) => verifyStandardWebhook(endpoint.secret, r.headers, r.body))).toBe(true);
      const log = await get(`/admin/webhooks/${endpoint.id}/deliveries`).expect(200);
      expect(log.body.items.map((d: { attempt: number; status: string; responseStatus: number }) => [d.attempt, d.status, d.responseStatus])).toEqual([
        [3, 'delivered', 204],
        [2, 'failed', 500],
        [1, 'failed', 500],
      ]);
      // paging through the log
      const first = await get(`/admin/webhooks/${endpoint.id}/deliveries?limit=2`).expect(200);
      const second = await get(`/admin/webhooks/${endpoint.id}/deliveries?limit=2&cursor=${first.body.nextCursor}`).expect(200);
      expect(second.body).toMatchObject({ items: [{ attempt: 1 }], nextCursor: null });
    });

    it('marks an endpoint failing after persistent errors, and clears it on the next success', async () => {
      const { body: endpoint } = await register({ url: receiver.url, events: ['grant.revoked'] }).expect(201);
      receiver.failNext(5);
      await record('grant.revoked', { grantId: 'g3' });
      for (const wait of [0, 5, 30, 120, 600]) {
        ctx.clock.advanceSeconds(wait);
        await drain();
      }
      expect(receiver.received.map((r) => r.status)).toEqual([500, 500, 500, 500, 500]);
      expect((await get('/admin/webhooks').expect(200)).body.items[0]).toMatchObject({ id: endpoint.id, failing: true });
      ctx.clock.advanceSeconds(3600);
      await drain();
      expect(receiver.accepted()).toHaveLength(1);
      expect((await get('/admin/webhooks').expect(200)).body.items[0]).toMatchObject({ failing: false });
    });

    it('retries on the whole schedule (5 s, 30 s, 2 min, 10 min, 1 h, 6 h), never sooner, then gives up', async () => {
      const { body: endpoint } = await register({ url: receiver.url, events: ['grant.revoked'] }).expect(201);
      receiver.failNext(1000);
      await record('grant.revoked', { grantId: 'g-never' });
      await drain();
      expect(receiver.received).toHaveLength(1);
      for (const [i, delay] of [5, 30, 120, 600, 3600, 21_600].entries()) {
        ctx.clock.advanceSeconds(delay - 1);
        await drain();
        expect({ retry: i + 1, attempts: receiver.received.length }).toEqual({ retry: i + 1, attempts: i + 1 }); // not before its time
        ctx.clock.advanceSeconds(1);
        await drain();
        expect({ retry: i + 1, attempts: receiver.received.length }).toEqual({ retry: i + 1, attempts: i + 2 });
      }
      ctx.clock.advanceSeconds(7 * 86_400);
      await drain();
      expect(receiver.received).toHaveLength(7); // given up after the sixth retry
      const log = await get(`/admin/webhooks/${endpoint.id}/deliveries?limit=100`).expect(200);
      expect(log.body.items.map((d: { attempt: number; status: string }) => [d.attempt, d.status])).toEqual(
        [7, 6, 5, 4, 3, 2, 1].map((attempt) => [attempt, 'failed']),
      );
    });

    it('never delivers the events of a rolled-back transaction', async () => {
      await register({ url: receiver.url, events: ['grant.issued'] }).expect(201);
      await expect(
        ctx.get(Transactions).run(async (tx) => {
          await ctx.get(Outbox).recordEvent(tx, { type: 'grant.issued', data: { grantId: 'never' } });
          throw new Error('the cause failed');
        }),
      ).rejects.toThrow('the cause failed');
      await record('grant.issued', { grantId: 'kept' });
      await drain();
      expect(receiver.received.map((r) => r.event.data.grantId)).toEqual(['kept']);
    });

    it('delivers after a restart what the stopped instance had not sent', async () => {
      await register({ url: receiver.url, events: ['account.suspended'] }).expect(201);
      const first = await createTestApp(ctx.db.url, { env });
      const event = await first.get(Transactions).run((tx) => first.get(Outbox).recordEvent(tx, { type: 'account.suspended', data: { personId: 'p1' } }));
      await first.close(); // stopped before any worker ran
      expect(receiver.received).toHaveLength(0);
      const second = await createTestApp(ctx.db.url, { env });
      try {
        await second.get(OutboxWorker).drain();
        expect(receiver.received.map((r) => r.headers['webhook-id'])).toEqual([event.id]);
      } finally {
        await second.close();
      }
    });

    it('stops delivering to a deleted endpoint', async () => {
      const { body: endpoint } = await register({ url: receiver.url, events: ['grant.revoked'] }).expect(201);
      receiver.failNext(1);
      await record('grant.revoked', { grantId: 'g4' });
      await drain();
      await ctx.http().delete(`/admin/webhooks/${endpoint.id}`).set(ctx.as(admin)).expect(204);
      ctx.clock.advanceSeconds(5);
      await drain();
      expect(receiver.received).toHaveLength(1);
    });
  });
});
