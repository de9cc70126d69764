import { GrantsService, HoldsService, LedgerService } from '@loomworks/credit/staff';
import { ReconcilerService } from '@loomworks/operations';
import { SystemConfigService } from '@loomworks/system-config';
import { uniqueEmail } from '../support/credit-fixtures';
import { AuthWorld, type SignedUp } from '../support/auth-world';
import { FakeAnthropic } from '../support/fake-anthropic';
import { spawnServer, waitForListening } from '../support/server-process';

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * A server SIGKILLed between placing a turn's hold and settling it — here always inside the
 * respond call, so the point of death is certain (crash.e2e.spec.ts varies it around the commit).
 * The hold stays out until it expires, then goes back whole: nothing charged, nothing leaked, and
 * the request can be retried under its Idempotency-Key and is charged once.
 */
describe('a server killed while a turn holds credit', () => {
  const fake = new FakeAnthropic();
  let world: AuthWorld;
  let who: SignedUp;

  beforeAll(async () => {
    await fake.start();
    world = await AuthWorld.create({
      realClock: true,
      env: { ANTHROPIC_BASE_URL: fake.url, ANTHROPIC_API_KEY: 'system-key', ANTHROPIC_MAX_RETRIES: '0', IDEMPOTENCY_PENDING_SECONDS: '1' },
    });
    const email = uniqueEmail('killed');
    const { claimToken } = await world.app.get(GrantsService).issue({ recipientEmail: email, asset: 'haiku', kind: 'welcome', amount: 100n });
    who = await world.signup({ email, claimToken });
    // the child process reads this setting from the database
    await world.app.get(SystemConfigService).set('hold_ttl_seconds', 3);
    // A run now keeps the scheduled reconciler (which also sweeps holds) of every instance quiet
    // for its 5-minute interval: this test sweeps itself, when it means to.
    await world.app.get(ReconcilerService).runNow();
  });
  afterAll(async () => {
    await world.close();
    await fake.stop();
  });

  const flowsOf = async () =>
    (await world.db.query<{ kind: string; amount: string }>('SELECT kind, amount::text FROM credit.flows WHERE person_id = $1 ORDER BY id', [who.person.id]))
      .map((f) => `${f.kind} ${f.amount}`);
  const holdsOf = () => world.db.query<{ id: string; status: string; amount: string }>('SELECT id, status, amount::text FROM credit.holds WHERE person_id = $1', [who.person.id]);
  const balance = () => world.app.get(LedgerService).balance(who.person.id, 'haiku');

  it('releases the hold once it expires, charges nothing, and lets the retry be charged once', async () => {
    const server = spawnServer({
      DATABASE_URL: world.db.url,
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
      await waitFor(() => fake.requests.length >= 2); // classify answered, respond asked: the hold is out
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
    expect(await world.db.query('SELECT 1 FROM turns WHERE person_id = $1', [who.person.id])).toEqual([]);

    // Expired and released by the sweeper: all of it back, still nothing charged.
    const holds = world.app.get(HoldsService);
    await waitFor(async () => (await world.db.query("SELECT 1 FROM credit.holds WHERE id = $1 AND expires_at < now() - interval '100 ms'", [hold.id])).length === 1);
    expect(await holds.sweepExpired()).toBe(1);
    expect(await holdsOf()).toEqual([{ ...hold, status: 'expired' }]);
    expect(await flowsOf()).toEqual(['issuance 100', 'hold 7', 'release 7']);
    expect(await balance()).toBe(100n);
    await world.expectLedgerConsistent();

    // The client retries under its key (the dead request's claim lapsed): answered and charged once.
    fake.reset();
    const retry = await world.http().post(`/engagements/${who.person.personalEngagementId}/converse`)
      .set('authorization', `Bearer ${who.sessionToken}`).set('idempotency-key', 'killed-1').send({ message: 'never answered' });
    expect(retry.status).toBe(200);
    expect(retry.body.credit).toEqual({ asset: 'haiku', held: 7, charged: 4, balanceAfter: 96 });
    expect(await flowsOf()).toEqual(['issuance 100', 'hold 7', 'release 7', 'hold 7', 'release 7', 'consumption 1', 'consumption 3']);
    expect(await world.db.query("SELECT count(*)::int AS n FROM turns WHERE person_id = $1 AND role = 'assistant'", [who.person.id])).toEqual([{ n: 1 }]);
    await world.expectLedgerConsistent();
  }, 240_000);
});
