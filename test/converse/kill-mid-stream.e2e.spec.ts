import { HoldsService, LedgerService } from '@loomworks/credit/staff';
import { ReconcilerService } from '@loomworks/operations';
import { SystemConfigService } from '@loomworks/system-config';
import { TestContext, type SignedIn, waitFor } from '../support/test-context';
import { FakeAnthropic } from '../support/fake-anthropic';
import { spawnServer, waitForListening } from '../support/server-process';

const isClassify = (system: string) => system.startsWith("Classify the user's message");

/**
 * A server SIGKILLed while it streams a turn's reply (the hold placed, text already sent to the
 * client): nothing was recorded, so nothing is charged; the hold stays out until it expires and
 * then goes back whole; the client's retry under its Idempotency-Key is charged once.
 */
describe('a server killed mid-stream', () => {
  const fake = new FakeAnthropic();
  let ctx: TestContext;
  let who: SignedIn;

  beforeAll(async () => {
    await fake.start();
    ctx = await TestContext.create({
      realClock: true,
      env: { ANTHROPIC_BASE_URL: fake.url, ANTHROPIC_API_KEY: 'system-key', ANTHROPIC_MAX_RETRIES: '0', IDEMPOTENCY_PENDING_SECONDS: '1' },
    });
    who = await ctx.signedInPerson({ credit: { asset: 'haiku', amount: 100n } });
    await ctx.app.get(SystemConfigService).set('hold_ttl_seconds', 3); // the child reads it from the database
    await ctx.app.get(ReconcilerService).runNow(); // keeps the scheduled sweeps quiet: this test sweeps itself
  });
  afterAll(async () => {
    await ctx.close();
    await fake.stop();
  });

  const flowsOf = async () =>
    (await ctx.db.query<{ kind: string; amount: string }>('SELECT kind, amount::text FROM credit.flows WHERE person_id = $1 ORDER BY id', [who.person.id]))
      .map((f) => `${f.kind} ${f.amount}`);
  const holdsOf = () => ctx.db.query<{ id: string; status: string; amount: string }>('SELECT id, status, amount::text FROM credit.holds WHERE person_id = $1', [who.person.id]);

  it('releases the hold once it expires, charges nothing, and the retry is charged once', async () => {
    const server = spawnServer({
      DATABASE_URL: ctx.db.url,
      LOOMWORKS_SECRET_KEY: process.env.LOOMWORKS_SECRET_KEY,
      ANTHROPIC_BASE_URL: fake.url,
      ANTHROPIC_API_KEY: 'system-key',
      ANTHROPIC_MAX_RETRIES: '0',
      IDEMPOTENCY_PENDING_SECONDS: '2',
      PUBLIC_ORIGIN: 'http://localhost:3000',
      PORT: '0',
      LOG_LEVEL: 'error',
      OUTBOX_POLL_MS: '0',
    });
    let received = '';
    try {
      const port = await waitForListening(server, 120_000);
      fake.reset({ text: (r) => (isClassify(r.system) ? 'question' : 'a reply that never finishes streaming'), chunkChars: 4, chunkDelayMs: 200 });
      const res = await fetch(`http://127.0.0.1:${port}/engagements/${who.person.personalEngagementId}/converse`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${who.sessionToken}`, 'idempotency-key': 'stream-killed-1' },
        body: JSON.stringify({ message: 'never finished' }),
      });
      expect(res.status).toBe(200);
      const reader = res.body!.getReader();
      while (!received.includes('event: reply.delta')) received += new TextDecoder().decode((await reader.read()).value);
      server.child.kill('SIGKILL'); // mid-stream: the client already has text
      await reader.read().then(
        async function drain(r): Promise<void> {
          if (!r.done) return reader.read().then(drain);
        },
        () => undefined,
      );
    } finally {
      server.child.kill('SIGKILL');
      await server.exited;
    }
    expect(received).toContain('event: turn.started');

    // Dead with its hold out: held, nothing charged, no turn recorded.
    const [hold] = await holdsOf();
    expect(hold).toEqual({ id: expect.any(String), status: 'active', amount: expect.any(String) });
    const held = hold.amount;
    expect(await flowsOf()).toEqual(['issuance 100', `hold ${held}`]);
    expect(await ctx.db.query('SELECT 1 FROM turns WHERE person_id = $1', [who.person.id])).toEqual([]);

    await waitFor(async () => (await ctx.db.query("SELECT 1 FROM credit.holds WHERE id = $1 AND expires_at < now() - interval '100 ms'", [hold.id])).length === 1);
    expect(await ctx.app.get(HoldsService).sweepExpired()).toBe(1);
    expect(await flowsOf()).toEqual(['issuance 100', `hold ${held}`, `release ${held}`]);
    expect(await ctx.app.get(LedgerService).balance(who.person.id, 'haiku')).toBe(100n);
    await ctx.expectLedgerConsistent();

    // The retry under the same key (the dead claim lapsed) is answered and charged once.
    fake.reset();
    const retry = await ctx.http().post(`/engagements/${who.person.personalEngagementId}/converse`)
      .set('authorization', `Bearer ${who.sessionToken}`).set('idempotency-key', 'stream-killed-1').send({ message: 'never finished' });
    expect(retry.status).toBe(200);
    expect(retry.body.credit).toMatchObject({ asset: 'haiku', charged: 4, balanceAfter: 96 });
    expect(await ctx.db.query("SELECT count(*)::int AS n FROM turns WHERE person_id = $1 AND role = 'assistant'", [who.person.id])).toEqual([{ n: 1 }]);
    expect(await ctx.db.query("SELECT count(*)::int AS n FROM llm_calls WHERE person_id = $1 AND charged > 0", [who.person.id])).toEqual([{ n: 2 }]);
    await ctx.expectLedgerConsistent();
  }, 240_000);
});
