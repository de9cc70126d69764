import { HoldsService, LedgerService } from '@loomworks/credit/staff';
import { ReconcilerService } from '@loomworks/operations';
import { SystemConfigService } from '@loomworks/system-config';
import { TestContext, type SignedIn, waitFor } from '../support/test-context';
import { FakeAnthropic } from '../support/fake-anthropic';
import { spawnServer, waitForListening } from '../support/server-process';

/**
 * A server SIGKILLed between placing a turn's hold and settling it — here always inside the
 * respond call, so the point of death is certain (crash.e2e.spec.ts varies it around the commit).
 * The hold stays out until it expires, then goes back whole: nothing charged, nothing leaked, and
 * the request can be retried under its Idempotency-Key and is charged once.
 */
describe('a server killed while a turn holds credit', () => {
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
    // the child process reads this setting from the database
    await ctx.app.get(SystemConfigService).set('hold_ttl_seconds', 3);
    // A run now keeps the scheduled reconciler (which also sweeps holds) of every instance quiet
    // for its 5-minute interval: this test sweeps itself, when it means to.
    await ctx.app.get(ReconcilerService).runNow();
  });
  afterAll(async () => {
    await ctx.close();
    await fake.stop();
  });

  const flowsOf = async () =>
    (await ctx.db.query<{ kind: string; amount: string }>('SELECT kind, amount::text FROM credit.flows WHERE person_id = $1 ORDER BY id', [who.person.id]))
      .map((f) => `${f.kind} ${f.amount}`);
  const holdsOf = () => ctx.db.query<{ id: string; status: string; amount: string }>('SELECT id, status, amount::text FROM credit.holds WHERE person_id = $1', [who.person.id]);
  const balance = () => ctx.app.get(LedgerService).balance(who.person.id, 'haiku');

  it('releases the hold once it expires, charges nothing, and lets the retry be charged once', async () => {
    const server = spawnServer({
      DATABASE_URL: ctx.db.url,
      LOOMWORKS_SECRET_KEY: process.env.LOOMWORKS_SECRET_KEY,
      ANTHROPIC_BASE_URL: fake.url,
      ANTHROPIC_API_KEY: 'system-key',
      ANTHROPIC_MAX_RETRIES: '0',
      // its claim on the key lapses before its hold (claimed first, 2 s < the 3 s hold TTL)
      IDEMPOTENCY_PENDING_SECONDS: '2',
      PUBLIC_ORIGIN: 'http://localhost:3000',
      PORT: '0',
      LOG_LEVEL: 'error',
      OUTBOX_POLL_MS: '0',
    });
    try {
      const port = await waitForListening(server, 120_000);
      fake.reset({ latencyMs: 1000 });
      const lost = fetch(`http://127.0.0.1:${port}/engagements/${who.person.personalEngagementId}/converse`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${who.sessionToken}`, 'idempotency-key': 'killed-1' },
        body: JSON.stringify({ message: 'never answered' }),
      }).then((r) => `answered ${r.status}`, () => 'connection lost');
      await waitFor(() => fake.requests.length >= 2, 60_000); // classify answered, respond asked: the hold is out
      server.child.kill('SIGKILL');
      expect(await lost).toBe('connection lost');
    } finally {
      server.child.kill('SIGKILL');
      await server.exited;
    }

    // Dead with its hold out: held, not charged; no turn recorded.
    const [hold] = await holdsOf();
    expect(hold).toEqual({ id: expect.any(String), status: 'active', amount: '7' });
    expect(await flowsOf()).toEqual(['issuance 100', 'hold 7']);
    expect(await balance()).toBe(93n);
    expect(await ctx.db.query('SELECT 1 FROM turns WHERE person_id = $1', [who.person.id])).toEqual([]);

    // Expired and released by the sweeper: all of it back, still nothing charged.
    const holds = ctx.app.get(HoldsService);
    await waitFor(async () => (await ctx.db.query("SELECT 1 FROM credit.holds WHERE id = $1 AND expires_at < now() - interval '100 ms'", [hold.id])).length === 1);
    expect(await holds.sweepExpired()).toBe(1);
    expect(await holdsOf()).toEqual([{ ...hold, status: 'expired' }]);
    expect(await flowsOf()).toEqual(['issuance 100', 'hold 7', 'release 7']);
    expect(await balance()).toBe(100n);
    await ctx.expectLedgerConsistent();

    // The client retries under its key (the dead request's claim lapsed): answered and charged once.
    fake.reset();
    const retry = await ctx.http().post(`/engagements/${who.person.personalEngagementId}/converse`)
      .set('authorization', `Bearer ${who.sessionToken}`).set('idempotency-key', 'killed-1').send({ message: 'never answered' });
    expect(retry.status).toBe(200);
    expect(retry.body.credit).toEqual({ asset: 'haiku', held: 7, charged: 4, balanceAfter: 96 });
    expect(await flowsOf()).toEqual(['issuance 100', 'hold 7', 'release 7', 'hold 7', 'release 7', 'consumption 1', 'consumption 3']);
    expect(await ctx.db.query("SELECT count(*)::int AS n FROM turns WHERE person_id = $1 AND role = 'assistant'", [who.person.id])).toEqual([{ n: 1 }]);
    await ctx.expectLedgerConsistent();
  }, 240_000);
});
