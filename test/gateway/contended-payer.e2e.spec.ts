import Anthropic from '@anthropic-ai/sdk';
import { Client } from 'pg';
import { LedgerService } from '@loomworks/credit/staff';
import { RequestCreditRepository } from '../../libs/gateway/src/persistence/request-credit.repository';
import { FakeAnthropic } from '../support/fake-anthropic';
import { GatewayContext } from '../support/gateway-context';
import { lockPerson, waitingIn } from '../support/person-lock';
import { type TestContext, waitFor } from '../support/test-context';

const HAIKU = 'claude-haiku-4-5-20251001';
const ask = { model: HAIKU, max_tokens: 100, messages: [{ role: 'user' as const, content: 'queue' }] };
// Seeded haiku rates, credits per million tokens: 20 input + 30 output tokens, rounded up once.
const CHARGE = (20n * 1000n + 30n * 5000n + 999_999n) / 1_000_000n;

/**
 * A payer's parallel Messages API requests queue on the person's row lock (credit.commit_early_if_contended):
 * a placement or settlement that finds it taken commits without waiting for its WAL flush, so the
 * next in line goes at once, and is confirmed durable by a synchronous commit after it (confirm_hold,
 * confirm_settlement) before the provider is called or the answer sent. Uncontended, nothing is added
 * (messages.e2e.spec.ts counts the two statements).
 */
describe('POST /v1/messages on a contended payer: committed early, confirmed before use', () => {
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

  const member = () => gateway.member();
  const balance = (personId: string) => ctx.get(LedgerService).balance(personId, 'haiku');

  it('commit_early_if_contended: takes a free person row and keeps the flush; a taken row or a pool turns it off for this transaction only', async () => {
    const { person } = await member();
    const ask = async (pool: boolean) => {
      const c = new Client({ connectionString: ctx.db.url });
      await c.connect();
      try {
        await c.query('BEGIN');
        const { rows } = await c.query<{ early: boolean; sync: string }>(
          `SELECT credit.commit_early_if_contended(p_person => $1, p_pool_pays => $2) AS early, current_setting('synchronous_commit') AS sync`, [person.id, pool]);
        await c.query('COMMIT');
        const { rows: after } = await c.query<{ sync: string }>(`SELECT current_setting('synchronous_commit') AS sync`);
        return { ...rows[0], after: after[0].sync };
      } finally {
        await c.end();
      }
    };
    const [{ sync: server }] = await ctx.db.query<{ sync: string }>(`SELECT current_setting('synchronous_commit') AS sync`);
    expect(await ask(false)).toEqual({ early: false, sync: server, after: server });
    expect(await ask(true)).toEqual({ early: true, sync: 'off', after: server });
    const other = await lockPerson(ctx.db, person.id);
    try {
      expect(await ask(false)).toEqual({ early: true, sync: 'off', after: server });
    } finally {
      await other.release();
    }
  });

  it('a placement that queued behind the person is confirmed before the provider is called, then charged exactly', async () => {
    const { person, sdk } = await member();
    const confirmHold = jest.spyOn(repository, 'confirmHold');
    const providerCalls: number[] = [];
    fake.reset({ usage: () => ({ input_tokens: 20, output_tokens: 30 }), onAnswered: () => providerCalls.push(confirmHold.mock.calls.length) });
    const other = await lockPerson(ctx.db, person.id);
    const answered = sdk.messages.create(ask);
    await waitFor(() => waitingIn(ctx.db, 'place_key_request_hold').then((n) => n > 0));
    await other.release();
    await answered;
    expect(confirmHold).toHaveBeenCalledTimes(1);
    expect(providerCalls).toEqual([1]); // confirmed before the provider answered
    expect(await balance(person.id)).toBe(1000n - CHARGE);
  });

  it('a settlement that queued behind the person is confirmed before it is answered; uncontended requests confirm nothing', async () => {
    const { person, sdk } = await member();
    const confirmSettlement = jest.spyOn(repository, 'confirmSettlement');
    const confirmHold = jest.spyOn(repository, 'confirmHold');
    await sdk.messages.create(ask);
    expect(confirmHold).not.toHaveBeenCalled();
    expect(confirmSettlement).not.toHaveBeenCalled();

    // the provider answers while another transaction holds the person's row: the settlement queues
    fake.reset({ usage: () => ({ input_tokens: 20, output_tokens: 30 }), latencyMs: 300 });
    const answered = sdk.messages.create(ask).withResponse();
    await waitFor(async () => fake.requests.length === 1);
    const other = await lockPerson(ctx.db, person.id);
    await waitFor(() => waitingIn(ctx.db, 'settle_request_call').then((n) => n > 0));
    await other.release();
    const { response } = await answered;
    expect(confirmHold).not.toHaveBeenCalled();
    expect(confirmSettlement).toHaveBeenCalledTimes(1);
    expect(response.headers.get('loomworks-credit-charged')).toBe(String(CHARGE));
    expect(await balance(person.id)).toBe(1000n - 2n * CHARGE);
  });

  it('a placement lost before its flush (failover) is 503 and the provider is never called; a lost settlement is 503 and charges nothing', async () => {
    const { person, sdk } = await member();
    jest.spyOn(repository, 'placeKeyRequestHold').mockImplementation(async function (this: RequestCreditRepository, p) {
      return { ...(await RequestCreditRepository.prototype.placeKeyRequestHold.call(repository, p)), confirm: true };
    });
    jest.spyOn(repository, 'confirmHold').mockImplementation(async (holdId) => {
      // as a promoted standby that never received the placement: the hold isn't there
      await ctx.db.query(`SELECT credit.end_hold(p_hold => $1, p_status => 'released', p_at => now())`, [holdId]);
      return false;
    });
    const lost = await sdk.messages.create(ask).then(() => null, (e: unknown) => e);
    expect(lost).toBeInstanceOf(Anthropic.APIError);
    expect((lost as InstanceType<typeof Anthropic.APIError>).status).toBe(503);
    expect(fake.requests).toHaveLength(0);

    jest.restoreAllMocks();
    jest.spyOn(repository, 'settleRequestCall').mockImplementation(async (p) => {
      // as a settlement lost before its flush: not there (rolled back here), the confirmation finds no charge
      const [row] = await ctx.db.query<{ confirmed: boolean }>('SELECT credit.confirm_settlement(p_hold => $1) AS confirmed', [p.holdId]);
      expect(row.confirmed).toBe(false);
      return { outcome: 'settled', asset: 'haiku', held: '1', charged: '1', balance_after: '1', confirm: true };
    });
    const unsettled = await sdk.messages.create(ask).then(() => null, (e: unknown) => e);
    expect((unsettled as InstanceType<typeof Anthropic.APIError>).status).toBe(503);
    expect(fake.requests).toHaveLength(1);
    // nothing charged: the hold is still active, and expires as after a crash
    expect(await ctx.db.query(`SELECT status, charged FROM credit.holds WHERE person_id = $1 ORDER BY created_at`, [person.id])).toEqual([
      { status: 'released', charged: null },
      { status: 'active', charged: null },
    ]);
    expect(await ctx.db.query(`SELECT kind FROM credit.flows WHERE person_id = $1 AND kind = 'consumption'`, [person.id])).toEqual([]);
  });
});
