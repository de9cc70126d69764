import { TestContext } from './support/test-context';

// The pages' behaviour in a browser is covered by `npm run test:browser` (Chromium); here: how they are served.
describe('pages', () => {
  let ctx: TestContext;

  beforeAll(async () => {
    ctx = await TestContext.create();
  });
  afterAll(() => ctx.close());

  it.each([
    ['/claim?token=abc', 'claim'],
    ['/signup?adminToken=abc', 'signup'],
    ['/login', 'login'],
    ['/recover?token=abc', 'recover'],
    ['/account', 'account'],
    ['/chat', 'chat'],
    ['/admin', 'admin'],
    ['/teams/7d8f5c2e-2b7e-4d4c-9a51-0f6a3c1b9e21', 'teams'],
  ])('serves %s without a session, locked down', async (path, page) => {
    const res = await ctx.http().get(path).expect(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.text).toContain(`data-page="${page}"`);
    expect(res.text).toContain(`<script type="module" src="/assets/${page}.js"></script>`);
    // Scripts are files only: the CSP forbids inline ones.
    expect(res.text).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect(res.headers['content-security-policy']).not.toContain('unsafe-inline');
    // The claim and recovery URLs carry tokens: no page may leak them through the Referer header.
    expect(res.headers['referrer-policy']).toBe('no-referrer');
  });

  it('serves the built scripts, the stylesheet and a favicon; nothing else from the folder', async () => {
    const page = await ctx.http().get('/account').expect(200);
    const js = await ctx.http().get('/assets/account.js').expect(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.text).toContain('/me/credit');
    expect(page.text).toContain('<link rel="stylesheet" href="/assets/app.css">');
    await ctx.http().get('/assets/app.css').expect(200).expect('content-type', 'text/css; charset=utf-8');
    for (const icon of ['/favicon.ico', '/favicon.svg']) {
      const res = await ctx.http().get(icon).expect(200);
      expect(res.headers['content-type']).toBe('image/svg+xml');
    }
    const missing = await ctx.http().get('/assets/..%2Fpackage.json').expect(404);
    expect(missing.body).toMatchObject({ statusCode: 404, error: 'not_found' });
    await ctx.http().get('/assets/nothing.js').expect(404);
  });

  it('says on /login, while no admin exists, how to make the first one; never again once one does', async () => {
    // This context's database is fresh: nobody has signed up yet.
    const fresh = await ctx.http().get('/login').expect(200);
    expect(fresh.text).toContain('<body data-first-run="no-admin" data-page="login">');
    // Only the login page says it.
    expect((await ctx.http().get('/signup').expect(200)).text).not.toContain('data-first-run');
    await ctx.admin();
    const after = await ctx.http().get('/login').expect(200);
    expect(after.text).not.toContain('data-first-run');
    expect(after.text).toContain('<body data-page="login">');
    // The hint itself is in the login script.
    expect((await ctx.http().get('/assets/login.js').expect(200)).text).toContain('npm run admin:bootstrap');
  });

  it('keeps pages out of the OpenAPI document', async () => {
    const doc = await ctx.http().get('/docs-json').expect(200);
    expect(Object.keys(doc.body.paths)).not.toContain('/claim');
  });
});
