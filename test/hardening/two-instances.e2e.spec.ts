import { LedgerService } from '@loomworks/credit/staff';
import { TestContext, type SignedIn, uniqueEmail, tokenOf } from '../support/test-context';
import { FakeAnthropic } from '../support/fake-anthropic';
import { spawnServer, waitForListening, type ServerProcess } from '../support/server-process';

/**
 * DESIGN "Scaling": API instances are stateless, so two server processes on one database behave
 * as one. Both run as real child processes; every request below is split between them.
 */
describe('two API processes on one database', () => {
  const fake = new FakeAnthropic();
  let ctx: TestContext;
  let admin: SignedIn;
  let servers: ServerProcess[] = [];
  let ports: number[] = [];

  beforeAll(async () => {
    await fake.start();
    ctx = await TestContext.create({ realClock: true });
    admin = await ctx.admin();
    const env = {
      DATABASE_URL: ctx.db.url,
      LOOMWORKS_SECRET_KEY: process.env.LOOMWORKS_SECRET_KEY,
      ANTHROPIC_BASE_URL: fake.url,
      ANTHROPIC_API_KEY: 'system-key',
      PUBLIC_ORIGIN: 'http://localhost:3000',
      PORT: '0',
      LOG_LEVEL: 'error',
      OUTBOX_POLL_MS: '0',
      AUTH_STARTS_PER_MINUTE: '4',
      // the tests below name their client through the loopback "proxy", so each gets a fresh bucket
      TRUST_PROXY: 'loopback',
    };
    servers = [spawnServer(env), spawnServer(env)];
    ports = await Promise.all(servers.map((s) => waitForListening(s, 120_000)));
  }, 240_000);
  afterAll(async () => {
    for (const server of servers) {
      server.child.kill('SIGTERM');
      await server.exited;
    }
    await ctx.close();
    await fake.stop();
  });
  afterEach(() => ctx.expectLedgerConsistent());

  const call = (i: number, method: string, path: string, options: { token?: string; body?: unknown; headers?: Record<string, string> } = {}) =>
    fetch(`http://127.0.0.1:${ports[i % 2]}${path}`, {
      method,
      headers: {
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        ...options.headers,
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers read field by field, like supertest's bodies
    }).then(async (res) => ({ status: res.status, body: (await res.json().catch(() => null)) as Record<string, any> }));

  it('share the throttles: four starts split over both, the fifth refused on either', async () => {
    const client = { 'x-forwarded-for': '198.51.100.7' };
    for (let i = 0; i < 4; i++) {
      expect((await call(i, 'POST', '/auth/login/begin', { body: { email: uniqueEmail() }, headers: client })).status).toBe(200);
    }
    for (const i of [0, 1]) {
      const refused = await call(i, 'POST', '/auth/login/begin', { body: { email: uniqueEmail() }, headers: client });
      expect(refused).toMatchObject({ status: 429, body: { error: 'rate_limited' } });
    }
    // another client is unaffected
    expect((await call(1, 'POST', '/auth/login/begin', { body: { email: uniqueEmail() }, headers: { 'x-forwarded-for': '198.51.100.8' } })).status).toBe(200);
  });

  it('share Idempotency-Keys: one key sent to both at once issues one grant', async () => {
    const body = { recipientEmail: uniqueEmail('idem'), asset: 'sonnet', kind: 'welcome', amount: 30 };
    const answers = await Promise.all([0, 1, 0, 1].map((i) => call(i, 'POST', '/admin/grants', { token: admin.sessionToken, body, headers: { 'idempotency-key': 'two-instances-1' } })));
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201, 201]);
    expect(new Set(answers.map((a) => a.body.grant.id)).size).toBe(1);
    const rows = await ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM credit.grants WHERE recipient_email = $1', [body.recipientEmail]);
    expect(rows).toEqual([{ n: 1 }]);
  });

  it('race a claim across both: exactly one winner, credited once', async () => {
    const email = uniqueEmail('claimrace');
    const person = await ctx.signedInPerson({ email });
    const issued = await call(0, 'POST', '/admin/grants', { token: admin.sessionToken, body: { recipientEmail: email, asset: 'sonnet', kind: 'welcome', amount: 500 } });
    expect(issued.status).toBe(201);
    const claimToken = tokenOf(issued.body.claimUrl);
    const answers = await Promise.all([0, 1, 0, 1, 0, 1].map((i) => call(i, 'POST', '/me/claims', { token: person.sessionToken, body: { claimToken } })));
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([201, 409, 409, 409, 409, 409]);
    for (const lost of answers.filter((a) => a.status === 409)) expect(lost.body.error).toBe('grant_already_claimed');
    expect(await ctx.get(LedgerService).balance(person.person.id, 'sonnet')).toBe(500n);
  });

  it('run parallel turns of one person on both, each charged exactly once', async () => {
    const who = await ctx.signedInPerson({ credit: { asset: 'haiku', amount: 1000n } });
    fake.reset();
    const answers = await Promise.all(
      Array.from({ length: 4 }, (_, i) => // max_turns_in_flight is 4
        call(i, 'POST', `/engagements/${who.person.personalEngagementId}/converse`, { token: who.sessionToken, body: { message: `turn ${i}` } }),
      ),
    );
    expect(answers.map((a) => [a.status, a.body?.error])).toEqual(Array(4).fill([200, undefined]));
    const charged = answers.reduce((sum, a) => sum + BigInt(a.body.credit.charged ?? 0), 0n);
    expect(charged).toBeGreaterThan(0n);
    expect(await ctx.get(LedgerService).balance(who.person.id, 'haiku')).toBe(1000n - charged);
    const balancesAfter = answers.map((a) => Number(a.body.credit.balanceAfter));
    expect(new Set(balancesAfter).size).toBe(4); // serialised per person across both processes: no two turns saw the same balance
  });

  it('hold across both: parallel turns of a person whose credit covers 3 never spend more than it', async () => {
    // a full turn holds 7 haiku credits (classify 1 + respond 6); the provider reports all it could
    const who = await ctx.signedInPerson({ credit: { asset: 'haiku', amount: 21n } });
    fake.reset({
      latencyMs: 20,
      usage: (r) => ({ input_tokens: Buffer.byteLength(r.system) + r.messages.reduce((n, m) => n + Buffer.byteLength(m.content), 0), output_tokens: r.maxTokens }),
    });
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        call(i, 'POST', `/engagements/${who.person.personalEngagementId}/converse`, { token: who.sessionToken, body: { message: `scarce turn ${i}` } }),
      ),
    );
    const outcomes = answers.map((a) => (a.status === 200 ? a.body.status : `${a.status} ${a.body?.error}`));
    for (const outcome of outcomes) expect(['ok', 'credit_exhausted', '429 turns_in_flight']).toContain(outcome);
    const ok = answers.filter((a) => a.status === 200 && a.body.status === 'ok');
    expect(ok.length).toBeGreaterThanOrEqual(1);
    const charged = ok.reduce((sum, a) => sum + Number(a.body.credit.charged), 0);
    expect(charged).toBeLessThanOrEqual(21);
    for (const a of ok) expect(a.body.credit.balanceAfter).toBeGreaterThanOrEqual(0);
    expect(await ctx.get(LedgerService).balance(who.person.id, 'haiku')).toBe(21n - BigInt(charged));
    expect(await ctx.db.query("SELECT id FROM credit.holds WHERE person_id = $1 AND status = 'active'", [who.person.id])).toEqual([]);
  });
  it('a team pool across both: members turning in parallel on both processes never spend more than the pool covers', async () => {
    // the pool covers 3 full turns (7 haiku credits each); six members send two turns each, split
    // over both processes; the provider reports all it could, so every turn charges its whole hold
    const owner = await ctx.signedInPerson();
    const members = await Promise.all(Array.from({ length: 6 }, () => ctx.signedInPerson()));
    const team = await call(0, 'POST', '/engagements', { token: owner.sessionToken, body: { name: 'Shared pool' } });
    expect(team.status).toBe(201);
    const id = team.body.id as string;
    for (const [i, m] of members.entries()) {
      expect((await call(i, 'POST', `/engagements/${id}/members`, { token: owner.sessionToken, body: { email: m.person.email } })).status).toBe(201);
    }
    const funded = await call(1, 'POST', `/admin/engagements/${id}/adjustments`, { token: admin.sessionToken, body: { asset: 'haiku', amount: 21, reason: 'team budget' }, headers: { 'idempotency-key': `fund-${id}` } });
    expect(funded.status).toBe(201);
    fake.reset({
      latencyMs: 20,
      usage: (r) => ({ input_tokens: Buffer.byteLength(r.system) + r.messages.reduce((n, m) => n + Buffer.byteLength(m.content), 0), output_tokens: r.maxTokens }),
    });
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        call(i, 'POST', `/engagements/${id}/converse`, { token: members[i % 6].sessionToken, body: { message: `pool turn ${i}` } }),
      ),
    );
    const outcomes = answers.map((a) => (a.status === 200 ? a.body.status : `${a.status} ${a.body?.error}`));
    for (const outcome of outcomes) expect(['ok', 'credit_exhausted']).toContain(outcome);
    const ok = answers.filter((a) => a.status === 200 && a.body.status === 'ok');
    expect(ok.length).toBeGreaterThanOrEqual(1);
    const charged = ok.reduce((sum, a) => sum + Number(a.body.credit.charged), 0);
    expect(charged).toBeLessThanOrEqual(21);
    for (const a of ok) expect(a.body.credit.balanceAfter).toBeGreaterThanOrEqual(0);
    const [pool] = await ctx.db.query<{ amount: string }>("SELECT coalesce(sum(amount), 0)::text AS amount FROM credit.balances WHERE party = $1 AND asset = 'haiku'", [`engagement:${id}`]);
    expect(BigInt(pool.amount)).toBe(21n - BigInt(charged));
    expect(await ctx.db.query("SELECT id FROM credit.holds WHERE payer = $1 AND status = 'active'", [`engagement:${id}`])).toEqual([]);
    // the members' own credit was never touched
    for (const m of members) expect(await ctx.get(LedgerService).balance(m.person.id, 'haiku')).toBe(0n);
  });
});
