import { Client } from 'pg';
import { LedgerService } from '@loomworks/credit/staff';
import { ApiKeysService } from '@loomworks/gateway';
import { SystemConfigService } from '@loomworks/system-config';
import { RequestCreditRepository } from '../../libs/gateway/src/persistence/request-credit.repository';
import { FakeAnthropic, type FakeRequest } from '../support/fake-anthropic';
import { lockPerson, waitingIn } from '../support/person-lock';
import { TestContext, waitFor, type SignedIn } from '../support/test-context';
import { asRuntimeRole } from '../support/test-database';
import { PgBouncer } from './support/pgbouncer';

jest.setTimeout(300_000);

/** A provider that reports the most it truthfully could: a token per byte sent, every max_token used. */
const truthfulWorstCase = (r: FakeRequest) => ({
  input_tokens: Buffer.byteLength(r.system) + r.messages.reduce((n, m) => n + Buffer.byteLength(m.content), 0),
  output_tokens: r.maxTokens,
});

/**
 * DATABASE_POOL_MODE=transaction behind a real PgBouncer in transaction mode (Debian's package):
 * signup, sign-in, grants and claims, system-key turns, the holds race, an export and Messages API
 * requests placed together in one statement all run through it (no
 * named prepared statements, no session advisory lock), migrations through DATABASE_MIGRATION_URL
 * straight to Postgres.
 */
describe('behind PgBouncer in transaction mode', () => {
  const fake = new FakeAnthropic();
  let bouncer: PgBouncer;
  let ctx: TestContext;

  beforeAll(async () => {
    await fake.start();
    const server = new URL(process.env.LW_TEST_ADMIN_URL!);
    // The runtime role logs in with its password (SCRAM to PgBouncer, and from PgBouncer to the
    // embedded cluster). A small server pool, so transactions of different clients really share
    // server connections.
    const runtime = new URL(asRuntimeRole(server.toString()));
    bouncer = await PgBouncer.start({ host: server.hostname, port: Number(server.port || 5432) }, [
      { role: decodeURIComponent(runtime.username), password: decodeURIComponent(runtime.password) },
    ], 5);
    ctx = await TestContext.create({
      env: (db) => ({
        DATABASE_URL: bouncer.wrap(asRuntimeRole(db.url)),
        DATABASE_MIGRATION_URL: db.url,
        DATABASE_POOL_MODE: 'transaction',
        LOG_LEVEL: process.env.LW_INFRA_LOG ?? 'silent',
        ANTHROPIC_BASE_URL: fake.url,
        ANTHROPIC_MAX_RETRIES: '0',
        ANTHROPIC_TIMEOUT_MS: '60000',
      }),
    });
    await ctx.get(SystemConfigService).set('anthropic_api_key', 'system-key');
  });
  afterAll(async () => {
    await ctx?.close();
    await bouncer?.stop();
    await fake.stop();
  });

  const converse = (who: SignedIn, message: string) =>
    ctx.http().post(`/engagements/${who.person.personalEngagementId}/converse`).set(ctx.as(who)).send({ message });
  const balance = (who: SignedIn) => ctx.get(LedgerService).balance(who.person.id, 'haiku');

  it('signs people up, runs turns and reads their credit and history', async () => {
    fake.reset();
    const who = await ctx.signedInPerson({ credit: { asset: 'sonnet', amount: 1000n } });
    for (const message of ['What is a ledger?', 'And a hold?', 'Thanks!']) {
      const res = await converse(who, message).expect(200);
      expect(res.body.status).toBe('ok');
    }
    const credit = await ctx.http().get('/me/credit').set(ctx.as(who)).expect(200);
    expect(credit.body.holds).toEqual([]);
    const flows = await ctx.http().get('/me/flows?limit=10').set(ctx.as(who)).expect(200);
    expect(flows.body.items.filter((f: { kind: string }) => f.kind === 'consumption')).toHaveLength(6);
    // the export's one COPY, in its transaction with the one-export advisory lock, through the pooler
    const all = await ctx.http().get('/me/flows?limit=100').set(ctx.as(who)).expect(200);
    const csv = await ctx.http().get('/me/flows.csv').set(ctx.as(who)).expect(200);
    expect(csv.text.trim().split('\n').slice(1).map((line) => line.split(',')[0])).toEqual(all.body.items.map((f: { id: string }) => f.id).reverse());
    await ctx.expectLedgerConsistent();
  });

  it('30 parallel turns of a person whose balance covers 3 never spend more than it', async () => {
    fake.reset({ usage: truthfulWorstCase, latencyMs: 20 });
    // One full turn's hold is 7 haiku credits (classify 1 + respond 6 at max_tokens 1024): 3 turns' worth.
    const who = await ctx.signedInPerson({ credit: { asset: 'haiku', amount: 21n } });
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => converse(who, `parallel turn ${i}`)));
    const outcomes = results.map((r) => (r.status === 200 ? r.body.status : `${r.status} ${r.body.error}`));
    for (const outcome of outcomes) expect(['ok', 'credit_exhausted', '429 turns_in_flight']).toContain(outcome);
    const charged = results.filter((r) => r.status === 200 && r.body.status === 'ok').reduce((sum, r) => sum + r.body.credit.charged, 0);
    expect(outcomes.filter((o) => o === 'ok').length).toBeGreaterThanOrEqual(1);
    expect(charged).toBeLessThanOrEqual(21);
    expect(await balance(who)).toBe(21n - BigInt(charged));
    expect(await ctx.db.query("SELECT id FROM credit.holds WHERE person_id = $1 AND status = 'active'", [who.person.id])).toEqual([]);
    await ctx.expectLedgerConsistent();
  });

  it('Messages API requests that waited are placed in one statement through it, each charged exactly', async () => {
    fake.reset({ usage: () => ({ input_tokens: 20, output_tokens: 30 }) });
    // haiku: 20 input + 30 output tokens at 1,000 / 5,000 credits per million, rounded up once
    const charge = 1n;
    const keyed = async () => {
      const person = await ctx.fundedPerson('haiku', 100n);
      const { key } = await ctx.get(ApiKeysService).create({ personId: person.id, name: 'pooler' });
      return { person, key };
    };
    const first = await keyed();
    const others = await Promise.all(Array.from({ length: 6 }, keyed));
    const ask = (key: string) =>
      ctx.http().post('/v1/messages').set('x-api-key', key).send({ model: 'claude-haiku-4-5-20251001', max_tokens: 100, messages: [{ role: 'user', content: 'pooled' }] });
    const placeMany = jest.spyOn(ctx.get(RequestCreditRepository) as unknown as { placeMany: () => Promise<unknown> }, 'placeMany');
    // the first request's statement waits on its person's row (held here, straight to Postgres); the six queue behind it
    const lock = await lockPerson(ctx.db, first.person.id);
    const waiting = ask(first.key).then((r) => r);
    await waitFor(async () => (await waitingIn(ctx.db, 'place_key_request_hold')) === 1);
    const queued = others.map((o) => ask(o.key).then((r) => r));
    await new Promise((resolve) => setTimeout(resolve, 300));
    await lock.release();
    const answers = await Promise.all([waiting, ...queued]);

    expect(answers.map((r) => r.status)).toEqual(Array(7).fill(200));
    expect(placeMany).toHaveBeenCalledTimes(1);
    expect((placeMany.mock.calls[0] as unknown[][])[0]).toHaveLength(6);
    for (const { person } of [first, ...others]) expect(await ctx.get(LedgerService).balance(person.id, 'haiku')).toBe(100n - charge);
    placeMany.mockRestore();
    await ctx.expectLedgerConsistent();
  });

  it('checks the password itself: a wrong one is refused before any server connection', async () => {
    const wrong = new URL(bouncer.wrap(asRuntimeRole(ctx.db.url)));
    wrong.password = 'not-the-password';
    const client = new Client({ connectionString: wrong.toString() });
    await expect(client.connect()).rejects.toThrow(/password authentication failed|SASL authentication failed/);
    await client.end().catch(() => undefined);
  });

  it('really goes through the pooler: without it the API answers 503 db_unavailable', async () => {
    const who = await ctx.signedInPerson();
    await bouncer.stop();
    const res = await ctx.http().get('/me/credit').set(ctx.as(who));
    expect({ status: res.status, error: res.body.error }).toEqual({ status: 503, error: 'db_unavailable' });
  });
});
