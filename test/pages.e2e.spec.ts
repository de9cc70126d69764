import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { createTestApp } from './support/test-app';
import { createTestDatabase, type TestDatabase } from './support/test-database';

// The pages' behaviour in a browser is covered by `npm run test:browser` (Chromium); here: how they are served.
describe('pages', () => {
  let db: TestDatabase;
  let app: NestFastifyApplication;

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await createTestApp(db.url);
  });
  afterAll(async () => {
    await app.close();
    await db.drop();
  });

  it.each([
    ['/claim?token=abc', 'claim'],
    ['/signup?adminToken=abc', 'signup'],
    ['/login', 'login'],
    ['/admin', 'admin'],
  ])('serves %s without a session, locked down', async (path, page) => {
    const res = await request(app.getHttpServer()).get(path).expect(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.text).toContain(`data-page="${page}"`);
    expect(res.text).toContain('<script src="/assets/app.js" defer></script>');
    expect(res.text).not.toMatch(/<script>(?!<\/script>)/);
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    // The claim URL carries a token: no page may leak it through the Referer header.
    expect(res.headers['referrer-policy']).toBe('no-referrer');
  });

  it('serves the client script and style', async () => {
    const js = await request(app.getHttpServer()).get('/assets/app.js').expect(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.text).toContain("api('POST', '/claim/grant'");
    await request(app.getHttpServer()).get('/assets/style.css').expect(200).expect('content-type', 'text/css; charset=utf-8');
  });

  it('keeps pages out of the OpenAPI document', async () => {
    const doc = await request(app.getHttpServer()).get('/docs-json').expect(200);
    expect(Object.keys(doc.body.paths)).not.toContain('/claim');
  });
});
