import { request as httpRequest } from 'node:http';
import { Transactions } from '@loomworks/database';
import { spawnServer, waitForListening, type ServerProcess } from '../support/server-process';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { TestContext, type SignedIn, uniqueEmail } from '../support/test-context';

/** Posts `size` bytes of JSON-typed body in 16 KB writes over a real socket, the way a client streams it. */
function streamPost(port: number, path: string, size: number): Promise<{ status: number; body: string } | { error: string }> {
  return streamPostWithHeaders(port, path, size).then((res) => ('error' in res ? res : { status: res.status, body: res.body }));
}

function streamPostWithHeaders(port: number, path: string, size: number): Promise<{ status: number; body: string; headers: Record<string, unknown> } | { error: string }> {
  return new Promise((resolve) => {
    const req = httpRequest(
      { port, host: '127.0.0.1', method: 'POST', path, headers: { 'content-type': 'application/json', 'content-length': String(size) } },
      (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
      },
    );
    req.on('error', (e) => resolve({ error: e.message }));
    const chunk = Buffer.alloc(16 * 1024, 0x20);
    let sent = 0;
    const pump = () => {
      while (sent < size) {
        const piece = chunk.subarray(0, Math.min(chunk.length, size - sent));
        sent += piece.length;
        if (!req.write(piece)) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
}

const errorShape = (statusCode: number, error: string) => ({ statusCode, error, message: expect.any(String) });

describe('malformed requests: always a 4xx in the error shape, never a 5xx', () => {
  let ctx: TestContext;
  let admin: SignedIn;
  let writeRoutes: { method: string; path: string }[];

  beforeAll(async () => {
    ctx = await TestContext.create();
    admin = await ctx.admin();
    const doc = (await ctx.http().get('/docs-json').expect(200)).body as { paths: Record<string, Record<string, unknown>> };
    writeRoutes = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops)
        .filter((m) => ['post', 'put', 'patch', 'delete'].includes(m))
        .map((method) => ({ method, path: path.replace(/\{[^}]+\}/g, '00000000-0000-4000-8000-000000000000') })),
    );
  });
  afterEach(() => ctx.expectLedgerConsistent());
  afterAll(() => ctx.close());


  it('answers JSON nested thousands of levels deep with 400 on every write route', async () => {
    expect(writeRoutes.length).toBeGreaterThan(10);
    const deep = `{"a":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    for (const { method, path } of writeRoutes) {
      const res = await ctx.http()[method as 'post'](path).set(ctx.as(admin)).set('content-type', 'application/json').send(deep);
      expect({ route: `${method} ${path}`, status: res.status, body: res.body }).toEqual({
        route: `${method} ${path}`,
        status: 400,
        body: path.startsWith('/v1/')
          ? { type: 'error', error: { type: 'invalid_request_error', message: 'JSON nested deeper than 32 levels' } } // Anthropic's shape
          : { statusCode: 400, error: 'bad_request', message: 'JSON nested deeper than 32 levels' },
      });
    }
  });

  it('still accepts ordinary nesting, and strings that merely contain brackets', async () => {
    const res = await ctx.http().post('/auth/login/begin').send({ email: uniqueEmail('brackets') }).expect(200);
    expect(res.body.loginId).toEqual(expect.any(String));
    await ctx.http().post('/auth/login/begin').set('content-type', 'application/json').send(`{"email": "${'['.repeat(100)}@x.io"}`).expect(400);
  });

  it.each([
    ['text/plain', '{"email":"a@b.co"}'],
    ['application/x-www-form-urlencoded', 'email=a%40b.co'],
    ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="email"\r\n\r\na@b.co\r\n--x--'],
  ])('refuses a %s body with 415 unsupported_media_type', async (type, body) => {
    const res = await ctx.http().post('/auth/login/begin').set('content-type', type).send(body).expect(415);
    expect(res.body).toEqual(errorShape(415, 'unsupported_media_type'));
  });

  it('answers a body just over 1 MB with 413 payload_too_large, streamed over a real socket', async () => {
    await ctx.app.listen({ port: 0, host: '127.0.0.1' });
    const port = (ctx.app.getHttpServer().address() as { port: number }).port;
    for (const size of [1024 * 1024 + 1, 1024 * 1024 + 64 * 1024]) {
      const res = await streamPost(port, '/auth/login/begin', size);
      expect(res).toEqual({ status: 413, body: expect.any(String) });
      expect(JSON.parse((res as { body: string }).body)).toEqual(errorShape(413, 'payload_too_large'));
    }
  });

  it('answers headers or a URL over the 16 KB limit of Node with 431 in the error shape', async () => {
    await ctx.app.listen({ port: 0, host: '127.0.0.1' }).catch(() => undefined); // may already listen
    const port = (ctx.app.getHttpServer().address() as { port: number }).port;
    const res = await fetch(`http://127.0.0.1:${port}/health?x=${'a'.repeat(20_000)}`);
    expect(res.status).toBe(431);
    expect(await res.json()).toEqual({ statusCode: 431, error: 'headers_too_large', message: expect.any(String) });
  });

  it('answers over-long path parameters with 400 in the error shape', async () => {
    const res = await ctx.http().post(`/admin/persons/${'a'.repeat(5000)}/suspend`).set(ctx.as(admin)).expect(400);
    expect(res.body).toEqual({ statusCode: 400, error: 'bad_request', message: 'A path parameter is longer than 1364 characters' });
  });

  it('answers a malformed percent-encoding with 400 in the error shape', async () => {
    const res = await ctx.http().get('/admin/persons/%E0%A4%A/credit').set(ctx.as(admin));
    expect(res.status).toBe(400);
    expect(res.body).toEqual(errorShape(400, 'bad_request'));
  });

  it('answers unknown routes with 404 in the error shape', async () => {
    expect((await ctx.http().get('/no/such/route').expect(404)).body).toEqual(errorShape(404, 'not_found'));
    expect((await ctx.http().delete('/healthz').expect(404)).body).toEqual(errorShape(404, 'not_found'));
  });

  it('answers a wrong method on an existing route with 405, the allowed methods in `Allow`, in the error shape', async () => {
    const res = await ctx.http().delete('/health').expect(405);
    expect(res.body).toEqual(errorShape(405, 'method_not_allowed'));
    expect(res.headers.allow).toBe('GET, HEAD');
    // a route with a parameter, and a path several methods share
    const put = await ctx.http().put(`/admin/grants/${'0'.repeat(8)}-0000-4000-8000-000000000000/revoke`).set(ctx.as(admin)).expect(405);
    expect(put.headers.allow).toBe('POST');
    expect((await ctx.http().patch('/me/llm-key').set(ctx.as(admin)).expect(405)).headers.allow).toBe('DELETE, GET, HEAD, PUT');
    expect((await ctx.http().post('/admin/rates').set(ctx.as(admin)).send({}).expect(405)).headers.allow).toBe('GET, HEAD, PUT');
    // a query string doesn't hide the route
    expect((await ctx.http().post('/admin/grants?limit=1').set(ctx.as(admin)).send({}).expect(400)).body.error).toBe('validation_failed');
    expect((await ctx.http().delete('/admin/audit?limit=1').set(ctx.as(admin)).expect(405)).headers.allow).toBe('GET, HEAD');
    // routes that plugins register (the OpenAPI document and its UI) too
    expect((await ctx.http().post('/docs-json').expect(405)).headers.allow).toBe('GET, HEAD');
    expect((await ctx.http().delete('/docs').expect(405)).headers.allow).toBe('GET, HEAD');
  });

  describe('Idempotency-Key', () => {
    const grant = () => ({ recipientEmail: uniqueEmail('idem'), asset: 'sonnet', kind: 'welcome', amount: 10 });

    it('refuses a key over 255 characters (or empty) with 400 before any work', async () => {
      const before = await ctx.get(Transactions).manager.query('SELECT count(*)::int AS n FROM credit.grants');
      for (const key of ['k'.repeat(8 * 1024), 'k'.repeat(256), '']) {
        const res = await ctx.http().post('/admin/grants').set(ctx.as(admin)).set('idempotency-key', key).send(grant()).expect(400);
        expect(res.body).toEqual(errorShape(400, 'bad_request'));
      }
      const after = await ctx.get(Transactions).manager.query('SELECT count(*)::int AS n FROM credit.grants');
      expect(after).toEqual(before);
    });

    it('accepts keys of 1 and 255 characters', async () => {
      for (const key of ['k', 'k'.repeat(255)]) {
        await ctx.http().post('/admin/grants').set(ctx.as(admin)).set('idempotency-key', key).send(grant()).expect(201);
      }
    });
  });
});

describe('security headers', () => {
  let ctx: TestContext;
  beforeAll(async () => (ctx = await TestContext.create()));
  afterAll(() => ctx.close());

  const expectSecurityHeaders = (what: string, headers: Record<string, unknown>) =>
    expect({ what, csp: headers['content-security-policy'], nosniff: headers['x-content-type-options'], referrer: headers['referrer-policy'], frame: headers['x-frame-options'] }).toEqual({
      what,
      csp: expect.stringMatching(/frame-ancestors 'none'/),
      nosniff: 'nosniff',
      referrer: 'no-referrer',
      frame: 'DENY',
    });

  it('are on the errors Fastify, its router and Node raise before any route runs (400, 404, 405, 413, 414→400, 415, 431)', async () => {
    const http = () => ctx.http();
    const cases: [string, Promise<{ status: number; headers: Record<string, unknown>; body: { error?: string } }>, number][] = [
      ['malformed JSON', http().post('/auth/login/begin').set('content-type', 'application/json').send('{"email": '), 400],
      ['JSON nested too deep', http().post('/auth/login/begin').set('content-type', 'application/json').send(`{"a":${'['.repeat(100)}${']'.repeat(100)}}`), 400],
      ['unknown route', http().get('/no/such/route'), 404],
      ['wrong method', http().delete('/health'), 405],
      ['over-long path parameter (Fastify says 414)', http().post(`/admin/persons/${'a'.repeat(5000)}/suspend`), 400],
      ['malformed percent-encoding', http().get('/admin/persons/%E0%A4%A/credit'), 400],
      ['a form body', http().post('/auth/login/begin').set('content-type', 'application/x-www-form-urlencoded').send('email=a%40b.co'), 415],
    ];
    for (const [what, pending, status] of cases) {
      const res = await pending;
      expect({ what, status: res.status }).toEqual({ what, status });
      expect(res.body.error).toEqual(expect.any(String));
      expectSecurityHeaders(what, res.headers);
    }

    await ctx.app.listen({ port: 0, host: '127.0.0.1' });
    const port = (ctx.app.getHttpServer().address() as { port: number }).port;
    const tooLarge = await streamPostWithHeaders(port, '/auth/login/begin', 1024 * 1024 + 1);
    expect('status' in tooLarge && tooLarge.status).toBe(413);
    expectSecurityHeaders('413', (tooLarge as { headers: Record<string, unknown> }).headers);
    const headersTooLarge = await fetch(`http://127.0.0.1:${port}/health?x=${'a'.repeat(20_000)}`);
    expect(headersTooLarge.status).toBe(431);
    expectSecurityHeaders('431', Object.fromEntries(headersTooLarge.headers.entries()));
    expect(await headersTooLarge.json()).toEqual(errorShape(431, 'headers_too_large'));
  });

  it.each(['/docs', '/docs-json', '/health', '/login', '/no/such/route'])('are on %s', async (path) => {
    const res = await ctx.http().get(path);
    expect(res.headers['content-security-policy']).toMatch(/frame-ancestors 'none'/);
    expect(res.headers['content-security-policy']).toMatch(/script-src 'self'(;|$)/);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['x-frame-options']).toBe('DENY');
  });

  it('let only /docs use inline styles, never inline scripts', async () => {
    const docs = await ctx.http().get('/docs').expect(200);
    expect(docs.headers['content-security-policy']).toContain("style-src 'self' 'unsafe-inline'");
    expect(docs.headers['content-security-policy']).not.toMatch(/script-src[^;]*unsafe/);
    const page = await ctx.http().get('/login').expect(200);
    expect(page.headers['content-security-policy']).not.toContain('unsafe-inline');
  });
});

describe('a too-large body sent with fetch (undici) to a running server', () => {
  let db: TestDatabase;
  let server: ServerProcess;
  let port: number;

  beforeAll(async () => {
    db = await createTestDatabase();
    // A real server process: in-process test apps answer too slowly to show the race with a client still writing.
    server = spawnServer({ DATABASE_URL: db.url, LOOMWORKS_SECRET_KEY: process.env.LOOMWORKS_SECRET_KEY!, PORT: '0', LOG_LEVEL: 'warn' });
    port = await waitForListening(server);
  }, 90_000);
  afterAll(async () => {
    server.child.kill('SIGTERM');
    await server.exited;
    await db.drop();
  });

  it.each([
    ['/auth/signup/passkey', [2, 8, 16]],
    ['/auth/signup/totp-verify', [2, 8, 16]],
    ['/auth/login/finish', [2, 8, 16]],
    ['/admin/grants', [2, 8, 16]],
  ])('%s answers 413 payload_too_large to bodies of %j MB (the body is read and discarded, not cut off)', async (path, sizes) => {
    for (const megabytes of sizes as number[]) {
      const body = JSON.stringify({ filler: 'x'.repeat(megabytes * 1024 * 1024 - 64) });
      const res = await fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect({ megabytes, status: res.status }).toEqual({ megabytes, status: 413 });
      expect(await res.json()).toEqual(errorShape(413, 'payload_too_large'));
    }
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
  });
});
