import Anthropic from '@anthropic-ai/sdk';
import { HoldsService, LedgerService } from '@loomworks/credit/staff';
import { ApiKeysService } from '@loomworks/gateway';
import { ReconcilerService } from '@loomworks/operations';
import { SystemConfigService } from '@loomworks/system-config';
import { FakeAnthropic } from '../support/fake-anthropic';
import { spawnServer, waitForListening } from '../support/server-process';
import { TestContext, waitFor } from '../support/test-context';

/**
 * A server SIGKILLed while it relays a Messages API stream: the request's hold stays out until it
 * expires, then goes back whole — nothing charged, nothing lost, nothing twice.
 */
describe('a server killed mid-stream on /v1/messages', () => {
  const fake = new FakeAnthropic();
  let ctx: TestContext;

  beforeAll(async () => {
    await fake.start();
    ctx = await TestContext.create({ realClock: true, env: { ANTHROPIC_BASE_URL: fake.url, ANTHROPIC_API_KEY: 'system-key', ANTHROPIC_MAX_RETRIES: '0' } });
    // the child process reads this setting from the database
    await ctx.get(SystemConfigService).set('hold_ttl_seconds', 3);
    // keeps every instance's scheduled reconciler (which also sweeps holds) quiet: this test sweeps itself
    await ctx.get(ReconcilerService).runNow();
  });
  afterAll(async () => {
    await ctx.close();
    await fake.stop();
  });

  it('leaves the hold to expire and be released in full', async () => {
    const person = await ctx.fundedPerson('haiku', 100n);
    const { key } = await ctx.get(ApiKeysService).create({ personId: person.id, name: 'doomed' });
    const server = spawnServer({
      DATABASE_URL: ctx.db.url,
      LOOMWORKS_SECRET_KEY: process.env.LOOMWORKS_SECRET_KEY,
      ANTHROPIC_BASE_URL: fake.url,
      ANTHROPIC_API_KEY: 'system-key',
      ANTHROPIC_MAX_RETRIES: '0',
      PUBLIC_ORIGIN: 'http://localhost:3000',
      PORT: '0',
      LOG_LEVEL: 'error',
      OUTBOX_POLL_MS: '0',
    });
    let received = '';
    try {
      const port = await waitForListening(server, 120_000);
      fake.reset({ chunkChars: 1, chunkDelayMs: 100 });
      const sdk = new Anthropic({ apiKey: key, baseURL: `http://127.0.0.1:${port}`, maxRetries: 0 });
      const stream = sdk.messages.stream({ model: 'claude-haiku-4-5-20251001', max_tokens: 500, messages: [{ role: 'user', content: 'never finished' }] });
      stream.on('text', (t) => (received += t));
      const lost = stream.finalText().then(() => 'finished', () => 'connection lost');
      await waitFor(() => received.length >= 2, 60_000);
      server.child.kill('SIGKILL');
      expect(await lost).toBe('connection lost');
    } finally {
      server.child.kill('SIGKILL');
      await server.exited;
    }

    const holds = () => ctx.db.query<{ id: string; status: string; amount: string }>('SELECT id, status, amount::text FROM credit.holds WHERE person_id = $1', [person.id]);
    const flows = async () =>
      (await ctx.db.query<{ kind: string; amount: string }>('SELECT kind, amount::text FROM credit.flows WHERE person_id = $1 ORDER BY id', [person.id])).map((f) => `${f.kind} ${f.amount}`);
    const [hold] = await holds();
    expect(hold.status).toBe('active');
    expect(await flows()).toEqual(['issuance 100', `hold ${hold.amount}`]);

    await waitFor(async () => (await ctx.db.query("SELECT 1 FROM credit.holds WHERE id = $1 AND expires_at < now() - interval '100 ms'", [hold.id])).length === 1);
    expect(await ctx.get(HoldsService).sweepExpired()).toBe(1);
    expect(await holds()).toEqual([{ ...hold, status: 'expired' }]);
    expect(await flows()).toEqual(['issuance 100', `hold ${hold.amount}`, `release ${hold.amount}`]);
    expect(await ctx.get(LedgerService).balance(person.id, 'haiku')).toBe(100n);
    await ctx.expectLedgerConsistent();
  }, 240_000);
});
