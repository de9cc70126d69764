import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { LedgerService } from '@loomworks/credit/staff';
import { ApiKeysService } from '@loomworks/gateway';
import { apiKeySha256 } from '../../libs/gateway/src/domain/api-key';
import {
  BATCHING,
  RequestCreditRepository,
  type PlaceKeyRequestHoldParams,
} from '../../libs/gateway/src/persistence/request-credit.repository';
import { FakeAnthropic } from '../support/fake-anthropic';
import { GatewayContext } from '../support/gateway-context';
import { lockPerson, waitingIn } from '../support/person-lock';
import { type TestContext, waitFor } from '../support/test-context';

const HAIKU = 'claude-haiku-4-5-20251001';
const ask = { model: HAIKU, max_tokens: 100, messages: [{ role: 'user' as const, content: 'together' }] };
// Seeded haiku rates, credits per million tokens: 20 input + 30 output tokens, rounded up once.
const CHARGE = (20n * 1000n + 30n * 5000n + 999_999n) / 1_000_000n;

/**
 * Requests that arrive while the repository's statements of their kind all run (BATCHING.inFlight) wait
 * and go together: one place_key_request_holds, one settle_request_calls, each request's part
 * unchanged (StatementBatcher; a request alone still sends the single statements, which
 * messages.e2e.spec.ts counts). A batch that fails is sent again request by request.
 */
describe('POST /v1/messages under load: requests that arrive together share one statement each way', () => {
  const fake = new FakeAnthropic();
  let gateway: GatewayContext;
  let ctx: TestContext;
  let repository: RequestCreditRepository;

  beforeAll(async () => {
    gateway = await GatewayContext.start(fake);
    ctx = gateway.ctx;
    repository = ctx.get(RequestCreditRepository);
  });
  beforeEach(() => fake.reset({ usage: () => ({ input_tokens: 20, output_tokens: 30 }) }));
  afterEach(async () => {
    jest.restoreAllMocks();
    await ctx.expectLedgerConsistent();
  });
  afterAll(async () => {
    await ctx.close();
    await fake.stop();
  });

  const balance = (personId: string) => ctx.get(LedgerService).balance(personId, 'haiku');
  // the batch statements are the repository's own (private) senders
  const spyOn = (name: 'placeOne' | 'placeMany' | 'settleOne' | 'settleMany') =>
    jest.spyOn(repository as unknown as Record<typeof name, (...args: unknown[]) => Promise<unknown>>, name);

  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('placements that waited go as one statement; every request is answered and charged exactly', async () => {
    const queued = await gateway.member();
    const others = await Promise.all(Array.from({ length: 10 }, () => gateway.member()));
    const placeMany = spyOn('placeMany');
    const lock = await lockPerson(ctx.db, queued.person.id);
    const first = Array.from({ length: BATCHING.inFlight }, () => queued.sdk.messages.create(ask));
    await waitFor(async () => (await waitingIn(ctx.db, 'place_key_request_hold')) === BATCHING.inFlight); // every running statement waits
    const rest = others.map((m) => m.sdk.messages.create(ask));
    await sleep(300); // the ten arrive and wait behind them
    expect(fake.requests).toHaveLength(0);
    await lock.release();
    const answers = await Promise.all([...first, ...rest]);

    expect(answers.map((a) => a.usage.output_tokens)).toEqual(Array(BATCHING.inFlight + 10).fill(30));
    expect(placeMany).toHaveBeenCalledTimes(1);
    expect((placeMany.mock.calls[0][0] as unknown[]).length).toBe(10);
    expect(await balance(queued.person.id)).toBe(1000n - BigInt(BATCHING.inFlight) * CHARGE);
    for (const m of others) expect(await balance(m.person.id)).toBe(1000n - CHARGE);
    expect(await ctx.db.query(`SELECT count(*)::int AS n FROM llm_calls WHERE status = 'ok' AND person_id = ANY ($1)`, [[queued.person.id, ...others.map((m) => m.person.id)]])).toEqual([{ n: BATCHING.inFlight + 10 }]);
  });

  it('settlements that waited go as one statement, with each call logged at its own charge', async () => {
    const queued = await gateway.member();
    const others = await Promise.all(Array.from({ length: 6 }, () => gateway.member(500n)));
    const settleMany = spyOn('settleMany');
    fake.reset({ usage: () => ({ input_tokens: 20, output_tokens: 30 }), latencyMs: 400 });
    const first = Array.from({ length: BATCHING.inFlight }, () => queued.sdk.messages.create(ask));
    await waitFor(async () => fake.requests.length === BATCHING.inFlight);
    const lock = await lockPerson(ctx.db, queued.person.id); // their settlements will wait on it
    const rest = others.map((m) => m.sdk.messages.create({ ...ask, max_tokens: 50 }));
    await waitFor(async () => (await waitingIn(ctx.db, 'settle_request_call')) === BATCHING.inFlight);
    await waitFor(async () => fake.requests.length === BATCHING.inFlight + 6);
    await sleep(600); // the six are answered and wait behind them
    await lock.release();
    const answers = await Promise.all([...first, ...rest]);

    expect(answers).toHaveLength(BATCHING.inFlight + 6);
    expect(settleMany).toHaveBeenCalledTimes(1);
    expect((settleMany.mock.calls[0][0] as unknown[]).length).toBe(6);
    expect(await balance(queued.person.id)).toBe(1000n - BigInt(BATCHING.inFlight) * CHARGE);
    for (const m of others) expect(await balance(m.person.id)).toBe(500n - CHARGE);
    const logged = await ctx.db.query<{ charged: string }>(`SELECT charged::text AS charged FROM llm_calls WHERE person_id = ANY ($1)`, [others.map((m) => m.person.id)]);
    expect(logged.map((r) => r.charged)).toEqual(Array(6).fill(String(CHARGE)));
  });

  it('a batch that fails is placed again request by request: the failing one alone is refused', async () => {
    const queued = await gateway.member();
    const members = await Promise.all(Array.from({ length: 3 }, () => gateway.member()));
    const [{ version }] = await ctx.db.query<{ version: string }>('SELECT version::text AS version FROM system_config_version');
    const params = (key: string, holdId: string = randomUUID()): PlaceKeyRequestHoldParams => ({
      keySha256: apiKeySha256(key), holdId, requestId: randomUUID(), at: new Date(), ttlSeconds: 300, maxInFlight: 4,
      model: HAIKU, inputTokens: 100, maxTokens: 100, assets: [{ asset: 'haiku', buys: true }], settingsVersion: version,
    });
    const taken = params(queued.key);
    const placeMany = spyOn('placeMany');
    const placeOne = spyOn('placeOne');
    const lock = await lockPerson(ctx.db, queued.person.id);
    const first = [taken, ...Array.from({ length: BATCHING.inFlight - 1 }, () => params(queued.key))].map((p) => repository.placeKeyRequestHold(p));
    await waitFor(async () => (await waitingIn(ctx.db, 'place_key_request_hold')) === BATCHING.inFlight);
    // the second of the three reuses the first's hold id: its insert fails, and with it the batch
    const batch = [params(members[0].key), params(members[1].key, taken.holdId), params(members[2].key)].map((p) =>
      repository.placeKeyRequestHold(p).then((row) => row.outcome, (error: Error) => `refused: ${error.message}`),
    );
    await lock.release();
    expect((await Promise.all(first)).map((r) => r.outcome)).toEqual(Array(BATCHING.inFlight).fill('placed'));
    const outcomes = await Promise.all(batch);

    expect(outcomes[0]).toBe('placed');
    expect(outcomes[1]).toMatch(/^refused: .*holds_pkey/);
    expect(outcomes[2]).toBe('placed');
    await expect(placeMany.mock.results[0].value).rejects.toThrow(/holds_pkey/);
    expect(placeOne).toHaveBeenCalledTimes(BATCHING.inFlight + 3); // those running alone, then the three again one by one
    expect(await balance(members[1].person.id)).toBe(1000n);
    expect(await ctx.db.query(`SELECT count(*)::int AS n FROM credit.holds WHERE person_id = ANY ($1) AND status = 'active'`, [members.map((m) => m.person.id)])).toEqual([{ n: 2 }]);
  });

  it('place_key_request_holds answers each request as place_key_request_hold alone would', async () => {
    const ok = await gateway.member();
    const poor = await gateway.member(5n); // the bound: 100 input tokens and 1,000 output at haiku's rates, 6 credits
    const suspended = await gateway.member();
    await ctx.db.query(`UPDATE persons SET account_status = 'suspended' WHERE id = $1`, [suspended.person.id]);
    const [{ version }] = await ctx.db.query<{ version: string }>('SELECT version::text AS version FROM system_config_version');
    // a key bound to a team: its pool pays, and its placement alone would commit without the flush (confirm)
    const team = randomUUID();
    await ctx.db.query(`INSERT INTO engagements (id, name, personal, owner_person_id, created_at) VALUES ($1, 'Batch pool', false, $2, now())`, [team, ok.person.id]);
    await ctx.db.query(`INSERT INTO engagement_members (engagement_id, person_id, role, created_at) VALUES ($1, $2, 'owner', now())`, [team, ok.person.id]);
    await ctx.get(LedgerService).adjustPool({ engagementId: team, asset: 'haiku', amount: 100n, reason: 'test', actorPersonId: null });
    const { key: poolKey } = await ctx.get(ApiKeysService).create({ personId: ok.person.id, name: 'pool', engagementId: team });
    const keys = [ok.key, 'lw_unknown', poor.key, suspended.key, ok.key, poolKey];
    // in a transaction of our own, to read the commit mode the batch leaves for its commit
    const client = new Client({ connectionString: ctx.db.url });
    await client.connect();
    await client.query('BEGIN');
    const { rows } = await client.query<{ n: number; outcome: string; person_id: string | null; confirm: boolean }>(
      `SELECT n, outcome, person_id, confirm FROM place_key_request_holds(
         p_key_sha256 => $1, p_hold => $2, p_request => $3, p_at => $4, p_ttl_seconds => 300, p_max_in_flight => 4,
         p_model => $5, p_input_tokens => $6, p_max_tokens => $7, p_assets => '{haiku,opus}', p_buys => $8, p_settings_version => $9)
       ORDER BY n`,
      [
        keys.map(apiKeySha256), keys.map(() => randomUUID()), keys.map(() => randomUUID()), keys.map(() => new Date()), keys.map(() => HAIKU),
        keys.map(() => 100), keys.map(() => 1000), keys.flatMap(() => [true, true]), version,
      ],
    );
    const { rows: [mode] } = await client.query<{ sync: string }>(`SELECT current_setting('synchronous_commit') AS sync`);
    await client.query('COMMIT');
    const { rows: [server] } = await client.query<{ sync: string }>(`SELECT current_setting('synchronous_commit') AS sync`);
    await client.end();
    expect(mode.sync).toBe(server.sync); // the pool's placement turned it off; the batch turned it back
    expect(rows).toEqual([
      { n: 1, outcome: 'placed', person_id: ok.person.id, confirm: false },
      { n: 2, outcome: 'invalid_key', person_id: null, confirm: false },
      { n: 3, outcome: 'credit_exhausted', person_id: poor.person.id, confirm: false },
      { n: 4, outcome: 'account_suspended', person_id: suspended.person.id, confirm: false },
      { n: 5, outcome: 'placed', person_id: ok.person.id, confirm: false },
      { n: 6, outcome: 'placed', person_id: ok.person.id, confirm: false }, // the batch commits with the flush
    ]);
    expect(await ctx.db.query(`SELECT payer FROM credit.holds WHERE person_id = $1 AND status = 'active' ORDER BY payer`, [ok.person.id])).toEqual([
      { payer: `engagement:${team}` }, { payer: `person:${ok.person.id}` }, { payer: `person:${ok.person.id}` },
    ]);
    await ctx.db.query(`SELECT credit.end_hold(h.id, 'released', now()) FROM credit.holds h WHERE h.person_id = $1 AND h.status = 'active'`, [ok.person.id]);
  });
});
