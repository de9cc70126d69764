import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { createTestApp } from './support/test-app';
import { createTestDatabase, type TestDatabase } from './support/test-database';
import { LogCapture } from './support/log-capture';
import { PgProxy } from './support/pg-proxy';
import { TestContext } from './support/test-context';
import { ProbeController } from './support/probe.controller';

describe('HTTP app', () => {
  let ctx: TestContext;
  const logs = new LogCapture();

  beforeAll(async () => {
    ctx = await TestContext.create({ controllers: [ProbeController], env: { LOG_LEVEL: 'info' }, logStream: logs });
  });
  afterAll(() => ctx.close());
  const http = () => ctx.http();

  describe('GET /health', () => {
    it('says the database is up', async () => {
      await http().get('/health').expect(200, { status: 'ok', db: 'up' });
    });
  });

  describe('OpenAPI', () => {
    it('serves the document at /docs-json and a UI at /docs', async () => {
      const doc = await http().get('/docs-json').expect(200);
      expect(doc.body.openapi).toMatch(/^3\./);
      expect(doc.body.paths['/health'].get).toBeDefined();
      const ui = await http().get('/docs').expect(200);
      expect(ui.text).toContain('swagger');
    });
  });

  describe('validation', () => {
    it('passes a valid body through as a DTO instance', async () => {
      const res = await http().post('/__probe/echo').send({ email: 'a@b.co', amount: 5 }).expect(200);
      expect(res.body).toEqual({ body: { email: 'a@b.co', amount: 5 }, isDto: true });
    });

    it('refuses unknown fields, naming them', async () => {
      const res = await http().post('/__probe/echo').send({ email: 'a@b.co', amount: 5, isAdmin: true }).expect(400);
      expect(res.body).toEqual({
        statusCode: 400,
        error: 'validation_failed',
        message: expect.any(String),
        fields: [{ field: 'isAdmin', message: 'property isAdmin should not exist' }],
      });
    });

    it('lists every bad field, nested ones with their path', async () => {
      const res = await http()
        .post('/__probe/echo')
        .send({ email: 'nope', amount: 1.5, address: { city: 7 } })
        .expect(400);
      const fields = (res.body.fields as { field: string }[]).map((f) => f.field);
      expect(new Set(fields)).toEqual(new Set(['email', 'amount', 'address.city']));
    });

    it('refuses amounts beyond 2^53-1', async () => {
      const res = await http().post('/__probe/echo').send({ email: 'a@b.co', amount: 2 ** 53 }).expect(400);
      expect(res.body.fields).toEqual([{ field: 'amount', message: expect.stringContaining('must not be greater') }]);
    });

    it('answers malformed JSON with a 400 in the error shape', async () => {
      const res = await http().post('/__probe/echo').set('content-type', 'application/json').send('{"email": ').expect(400);
      expect(res.body).toEqual({ statusCode: 400, error: 'bad_request', message: expect.stringContaining('not valid JSON') });
    });
  });

  describe('errors', () => {
    it('maps domain errors to their documented status and code, with their details', async () => {
      await http()
        .get('/__probe/domain-error')
        .expect(404, { statusCode: 404, error: 'person_not_found', message: 'No such person', personId: '00000000-0000-0000-0000-000000000000' });
      const res = await http().get('/__probe/domain-error?kind=transition').expect(409);
      expect(res.body).toMatchObject({ error: 'invalid_account_transition', from: 'deleted', to: 'active' });
    });

    it('answers unknown routes with 404 not_found', async () => {
      await http().get('/no/such/route').expect(404, { statusCode: 404, error: 'not_found', message: 'Cannot GET /no/such/route' });
    });

    it('hides internals of unexpected errors behind a request id that the log carries', async () => {
      const res = await http().get('/__probe/crash').set('x-request-id', 'crash-probe-1').expect(500);
      expect(res.body).toEqual({
        statusCode: 500,
        error: 'internal_error',
        message: 'Something went wrong on our side.',
        requestId: 'crash-probe-1',
      });
      expect(JSON.stringify(res.body)).not.toMatch(/secret|relation|\.ts/);
      const logged = logs.lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'unhandled error');
      expect(logged).toMatchObject({ requestId: 'crash-probe-1', err: { message: expect.stringContaining('secret_table') } });
    });
  });

  describe('logs', () => {
    it('are JSON lines that never carry credentials or claim tokens', async () => {
      await http()
        .get('/health?token=claim-secret-123')
        .set('authorization', 'Bearer session-secret-456')
        .set('cookie', 'loomworks_session=cookie-secret-789')
        .expect(200);
      const text = logs.text;
      expect(text).toContain('/health?token=[redacted]');
      for (const secret of ['claim-secret-123', 'session-secret-456', 'cookie-secret-789', process.env.LOOMWORKS_SECRET_KEY!]) {
        expect(text).not.toContain(secret);
      }
      for (const line of logs.lines) expect(() => JSON.parse(line)).not.toThrow();
    });
  });
});

describe('GET /health with the database down', () => {
  let db: TestDatabase;
  let proxy: PgProxy;
  let app: NestFastifyApplication;

  beforeAll(async () => {
    db = await createTestDatabase();
    const target = new URL(db.url);
    proxy = new PgProxy({ host: target.hostname, port: Number(target.port) });
    await proxy.start();
    app = await createTestApp(proxy.wrap(db.url));
  });
  afterAll(async () => {
    await app.close();
    await proxy.stop();
    await db.drop();
  });

  it('answers 503 while the database is unreachable and 200 once it is back', async () => {
    const http = () => request(app.getHttpServer());
    await http().get('/health').expect(200);
    await proxy.stop();
    const down = await http().get('/health').expect(503);
    expect(down.body).toEqual({
      statusCode: 503,
      error: 'db_unavailable',
      message: 'The database is unreachable.',
      status: 'error',
      db: 'down',
    });
    await proxy.start();
    await http().get('/health').expect(200, { status: 'ok', db: 'up' });
  });
});
