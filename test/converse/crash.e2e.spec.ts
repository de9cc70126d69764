import { HoldsService, LedgerService } from '@loomworks/credit/staff';
import { SystemConfigService } from '@loomworks/system-config';
import { TestContext, type SignedIn } from '../support/test-context';
import { FakeAnthropic } from '../support/fake-anthropic';
import { spawnServer, waitForListening, type ServerProcess } from '../support/server-process';

/**
 * Crash safety of charged turns: the server runs as a child process and is SIGKILLed right after
 * the fake LLM answered the respond call, at several delays (before, while and after committing).
 * After a restart every recorded assistant turn must have exactly its consumption, nothing else
 * may be charged, and retrying each request with its Idempotency-Key must charge it at most once.
 */
describe('a server killed between the LLM answer and the commit', () => {
  const fake = new FakeAnthropic();
  let ctx: TestContext;
  let who: SignedIn;
  const DELAYS_MS = [0, 0, 1, 2, 4, 8, 16, 50];

  beforeAll(async () => {
    await fake.start();
    ctx = await TestContext.create({ realClock: true });
    who = await ctx.signedInPerson({ credit: { asset: 'haiku', amount: 100_000n } });
    // Holds of killed requests must lapse within the test (the server processes read this setting).
    await ctx.get(SystemConfigService).set('hold_ttl_seconds', 2);
  });
  afterAll(async () => {
    await ctx.close();
    await fake.stop();
  });

  const env = () => ({
    DATABASE_URL: ctx.db.url,
    LOOMWORKS_SECRET_KEY: process.env.LOOMWORKS_SECRET_KEY,
    ANTHROPIC_BASE_URL: fake.url,
    ANTHROPIC_API_KEY: 'system-key',
    ANTHROPIC_MAX_RETRIES: '0',
    IDEMPOTENCY_PENDING_SECONDS: '1',
    PUBLIC_ORIGIN: 'http://localhost:3000',
    PORT: '0',
    LOG_LEVEL: 'error',
  });

  const converse = (port: number, key: string) =>
    fetch(`http://127.0.0.1:${port}/engagements/${who.person.personalEngagementId}/converse`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${who.sessionToken}`, 'idempotency-key': key },
      body: JSON.stringify({ message: `request ${key}` }),
    });

  it('never leaves an assistant turn without its consumption, nor charges a retry twice', async () => {
    const outcomes: string[] = [];
    for (const [i, delay] of DELAYS_MS.entries()) {
      const server: ServerProcess = spawnServer(env());
      const port = await waitForListening(server);
      fake.reset({
        onAnswered: (req) => {
          if (req.system.startsWith('Classify')) return;
          if (delay === 0) server.child.kill('SIGKILL');
          else setTimeout(() => server.child.kill('SIGKILL'), delay);
        },
      });
      const answer = await converse(port, `crash-${i}`).then((r) => `answered ${r.status}`, () => 'connection lost');
      outcomes.push(answer);
      await server.exited;
    }
    // Some deaths must have come before the commit, or the test did not test anything.
    expect(outcomes).toContain('connection lost');

    const turnsBefore = await ctx.db.query<{ n: string }>("SELECT count(*) AS n FROM turns WHERE role = 'assistant'");
    // Killed between placing the hold and settling it: their holds never settled (still out, or
    // already expired by a later request of the person: each server start outlasts the 2 s TTL).
    const stranded = await ctx.db.query<{ n: number }>("SELECT count(*)::int AS n FROM credit.holds WHERE status IN ('active', 'expired')");
    expect(stranded).toEqual([{ n: DELAYS_MS.length - Number(turnsBefore[0].n) }]);
    await new Promise((r) => setTimeout(r, 2100)); // let the dead requests' Idempotency-Key claims and holds lapse

    const server = spawnServer(env());
    try {
      const port = await waitForListening(server);
      fake.reset();
      for (const [i] of DELAYS_MS.entries()) {
        const res = await converse(port, `crash-${i}`);
        expect([`crash-${i}`, res.status]).toEqual([`crash-${i}`, 200]);
        expect(((await res.json()) as { credit: unknown }).credit).toEqual(expect.objectContaining({ asset: 'haiku', charged: 4 }));
      }
      // Only the requests that had died before committing were answered by the LLM again.
      expect(fake.requests.length / 2).toBe(DELAYS_MS.length - Number(turnsBefore[0].n));
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }

    // Every assistant turn has exactly its two consumption flows, and every consumption a turn.
    const orphans = await ctx.db.query(`
      SELECT t.id, count(f.id) AS flows FROM turns t
        LEFT JOIN credit.flows f ON f.kind = 'consumption' AND f.idempotency_key IN ('turn:' || t.id || ':classify', 'turn:' || t.id || ':respond')
       WHERE t.role = 'assistant' GROUP BY t.id HAVING count(f.id) <> 2`);
    expect(orphans).toEqual([]);
    const unmatched = await ctx.db.query(`
      SELECT f.idempotency_key FROM credit.flows f
       WHERE f.kind = 'consumption' AND NOT EXISTS (SELECT 1 FROM turns t WHERE f.idempotency_key LIKE 'turn:' || t.id || ':%')`);
    expect(unmatched).toEqual([]);
    // One answered turn per request, each charged once: 4 credits (classify 1 + respond 3) apiece.
    expect(await ctx.db.query("SELECT count(*)::int AS n FROM turns WHERE role = 'assistant'")).toEqual([{ n: DELAYS_MS.length }]);
    expect(await ctx.get(LedgerService).balance(who.person.id, 'haiku')).toBe(100_000n - 4n * BigInt(DELAYS_MS.length));
    // Every stranded hold expired and went back (placing the retries expired the person's own);
    // nothing was charged for them and nothing is left held.
    await ctx.get(HoldsService).sweepExpired();
    const statuses = await ctx.db.query<{ status: string; n: number }>('SELECT status, count(*)::int AS n FROM credit.holds GROUP BY status ORDER BY status');
    expect(statuses).toEqual([
      { status: 'expired', n: stranded[0].n },
      { status: 'settled', n: DELAYS_MS.length },
    ].filter((row) => row.n > 0));
    await ctx.expectLedgerConsistent();
  }, 400_000);
});
