import { CREDIT_SEAM, InvalidRateError, LedgerKeyReusedError, MissingRateError, type CreditSeam, type SettleStage, type TokenKind } from '@loomworks/credit';
import type { Usage } from '@loomworks/common';
import { Transactions } from '@loomworks/database';
import { HoldsService, LedgerService, OracleService, TiersService } from '@loomworks/credit/staff';
import { SystemConfigService } from '@loomworks/system-config';
import { chargeTurn } from '../support/charge-turn';
import { creditsFor } from '../support/oracle';
import { TestContext } from '../support/test-context';

const HAIKU = 'claude-haiku-4-5-20251001';
const SONNET = 'claude-sonnet-4-6';
const usage = (u: Partial<Usage>): Usage => ({ input: 0, output: 0, cacheRead: 0, cacheWrite: 0, ...u });

/** Charging a turn's stages (through a hold, as every system-key turn is), the rates and the tiers. */
describe('consumption, oracle and tiers', () => {
  let ctx: TestContext;
  let holds: HoldsService;
  let oracle: OracleService;
  let ledger: LedgerService;
  let turn = 0;
  const turnId = () => `00000000-0000-4000-8000-${String(++turn).padStart(12, '0')}`;

  beforeAll(async () => {
    ctx = await TestContext.create();
    holds = ctx.get(HoldsService);
    oracle = ctx.get(OracleService);
    ledger = ctx.get(LedgerService);
  });
  afterEach(() => ctx.expectLedgerConsistent());
  afterAll(() => ctx.close());
  const charge = (personId: string, stages: SettleStage[], id?: string) => chargeTurn(holds, personId, stages, id);

  it('charges each stage at its own model\'s seeded rates, rounded up, and records how', async () => {
    const person = await ctx.fundedPerson('sonnet', 1000n);
    const id = turnId();
    const result = await charge(person.id, [
      { stage: 'classify', model: HAIKU, usage: usage({ input: 500, output: 20 }) }, // 0.5 + 0.1 → 1
      { stage: 'respond', model: SONNET, usage: usage({ input: 1200, output: 340 }) }, // 3.6 + 5.1 → 9
    ], id);
    expect(result).toMatchObject({ asset: 'sonnet', charged: 10n, balanceAfter: 990n });
    expect(result.stages.map((s) => [s.stage, s.credits])).toEqual([['classify', 1n], ['respond', 9n]]);

    const flows = await ctx.db.query<{ idempotency_key: string; amount: string; asset: string; to_party: string; metadata: Record<string, unknown> }>(
      "SELECT idempotency_key, amount::text, asset, to_party, metadata FROM credit.flows WHERE kind = 'consumption' AND person_id = $1 ORDER BY id",
      [person.id],
    );
    expect(flows.map((f) => [f.idempotency_key, f.amount, f.asset, f.to_party])).toEqual([
      [`turn:${id}:classify`, '1', 'sonnet', 'system:consumed'],
      [`turn:${id}:respond`, '9', 'sonnet', 'system:consumed'],
    ]);
    expect(flows[1].metadata).toMatchObject({ turnId: id, stage: 'respond', model: SONNET, tokens: usage({ input: 1200, output: 340 }) });
  });

  it('records enough to recompute any charge from the rate rows it names', async () => {
    const person = await ctx.fundedPerson('haiku', 100_000n);
    const u = usage({ input: 12_345, output: 678, cacheRead: 9_001, cacheWrite: 77 });
    await charge(person.id, [{ stage: 'respond', model: HAIKU, usage: u }]);
    const [flow] = await ctx.db.query<{ amount: string; metadata: { tokens: Usage; rates: { id: string }[] } }>(
      "SELECT amount::text, metadata FROM credit.flows WHERE kind = 'consumption' AND person_id = $1",
      [person.id],
    );
    const rows = await ctx.db.query<{ id: string; token_kind: TokenKind; num: string; den: string }>(
      'SELECT id::text, token_kind, credits_per_million_num::text AS num, credits_per_million_den::text AS den FROM credit.oracle_rate_config WHERE id = ANY($1::bigint[])',
      [flow.metadata.rates.map((r) => r.id)],
    );
    const rates = new Map(rows.map((r) => [r.token_kind, { id: r.id, tokenKind: r.token_kind, numerator: BigInt(r.num), denominator: BigInt(r.den) }]));
    expect(rates.size).toBe(4);
    expect(creditsFor(flow.metadata.tokens, rates).toString()).toBe(flow.amount);
    // 12.345 + 3.39 + 0.9001 + 0.09625 = 16.73 → 17
    expect(flow.amount).toBe('17');
  });

  it('charges a turn once: a second settlement is refused and writes nothing; another charge under the turn\'s key is refused', async () => {
    const person = await ctx.fundedPerson('haiku', 1000n);
    const id = turnId();
    const stages: SettleStage[] = [{ stage: 'respond', model: HAIKU, usage: usage({ input: 4000 }) }];
    const first = await charge(person.id, stages, id);
    expect(first.charged).toBe(4n);
    const [hold] = await ctx.db.query<{ id: string }>('SELECT id FROM credit.holds WHERE turn_id = $1', [id]);
    await expect(holds.settle({ holdId: hold.id, turnId: id, stages })).rejects.toThrow('hold_already_settled');
    await expect(
      ctx.get(Transactions).run((tx) =>
        ledger.writeFlow(tx, { kind: 'consumption', asset: 'haiku', amount: 1000n, from: `person:${person.id}`, to: 'system:consumed', personId: person.id, idempotencyKey: `turn:${id}:respond` }),
      ),
    ).rejects.toBeInstanceOf(LedgerKeyReusedError);
    expect(await ledger.balance(person.id, 'haiku')).toBe(996n);
  });

  it('lets usage overdraw the balance; the tier then resolves to none', async () => {
    const person = await ctx.fundedPerson('haiku', 5n);
    const tiers = ctx.get(TiersService);
    expect(await tiers.resolve(person.id)).toEqual({ asset: 'haiku', classifierModel: HAIKU, responderModel: HAIKU });
    // the hold covers what the balance allows; the provider reports more (a misreport): still charged
    const result = await charge(person.id, [{ stage: 'respond', model: HAIKU, usage: usage({ output: 2000 }) }]);
    expect(result).toMatchObject({ holdExceeded: true, charged: 10n, balanceAfter: -5n });
    expect(await tiers.resolve(person.id)).toBeNull();
  });

  it('resolves the highest tier with credit, through the seam too', async () => {
    const person = await ctx.fundedPerson('haiku', 10n);
    await ledger.adjust({ personId: person.id, asset: 'opus', amount: 1n, reason: 'test', actorPersonId: null });
    const seam = ctx.get<CreditSeam>(CREDIT_SEAM);
    expect(await seam.resolveCredit(person.id)).toEqual({ asset: 'opus', classifierModel: HAIKU, responderModel: 'claude-opus-4-7' });
    expect(await seam.balances(person.id)).toEqual([{ asset: 'haiku', amount: 10n }, { asset: 'opus', amount: 1n }]);
    await ctx.get(SystemConfigService).set('credit_tier_priority', ['haiku', 'sonnet', 'opus']);
    expect((await seam.resolveCredit(person.id))?.asset).toBe('haiku');
    await ctx.get(SystemConfigService).set('credit_tier_priority', ['opus', 'sonnet', 'haiku']);
  });

  it('refuses to charge a model without rates, with a typed error, and writes nothing', async () => {
    const person = await ctx.fundedPerson('haiku', 100n);
    const attempt = charge(person.id, [
      { stage: 'classify', model: HAIKU, usage: usage({ input: 100 }) },
      { stage: 'respond', model: 'claude-unknown-9', usage: usage({ input: 100 }) },
    ]);
    await expect(attempt).rejects.toEqual(new MissingRateError('claude-unknown-9', 'any'));
    // the hold stays until released (its turn's LLM call counts as failed); nothing was charged
    const [hold] = await ctx.db.query<{ id: string }>("SELECT id FROM credit.holds WHERE person_id = $1 AND status = 'active'", [person.id]);
    await holds.release(hold.id);
    expect(await ledger.balance(person.id, 'haiku')).toBe(100n);
  });

  it('refuses a model missing the rate of a kind it used', async () => {
    await oracle.setRate({ model: 'claude-partial-1', tokenKind: 'input', numerator: 100n });
    const price = (tokens: Partial<Usage>) =>
      ctx.db.query<{ credits: string }>('SELECT credits::text FROM credit.stage_charge(p_model => $1, p_tokens => $2, p_at => $3)', ['claude-partial-1', JSON.stringify(usage(tokens)), ctx.clock.now()]);
    await expect(price({ input: 10, output: 1 })).rejects.toMatchObject({ message: 'missing_rate', detail: 'claude-partial-1 output' });
    expect(await price({ input: 10 })).toEqual([{ credits: '1' }]);
  });

  it('versions rates: a change applies from now on, past charges keep theirs', async () => {
    const person = await ctx.fundedPerson('haiku', 100_000n);
    const oldTurn = turnId();
    const before = await charge(person.id, [{ stage: 'respond', model: HAIKU, usage: usage({ input: 1_000_000 }) }], oldTurn);
    expect(before.charged).toBe(1000n);
    ctx.clock.advanceDays(1);
    const row = await oracle.setRate({ model: HAIKU, tokenKind: 'input', numerator: 2000n });
    expect(row.effectiveFrom).toEqual(ctx.clock.now());
    const after = await charge(person.id, [{ stage: 'respond', model: HAIKU, usage: usage({ input: 1_000_000 }) }]);
    expect(after.charged).toBe(2000n);
    const current = await oracle.currentRates();
    expect(current.find((r) => r.model === HAIKU && r.tokenKind === 'input')).toMatchObject({ id: row.id, numerator: 2000n });
    const [old] = await ctx.db.query<{ metadata: { rates: { id: string }[] } }>(
      'SELECT metadata FROM credit.flows WHERE idempotency_key = $1', [`turn:${oldTurn}:respond`],
    );
    expect(old.metadata.rates[0].id).not.toBe(row.id);
    await oracle.setRate({ model: HAIKU, tokenKind: 'input', numerator: 1000n });
  });

  it.each([
    [{ numerator: 0n }],
    [{ numerator: -1n }],
    [{ numerator: 1n, denominator: 0n }],
    [{ tokenKind: 'reasoning' as TokenKind }],
    [{ model: ' ' }],
  ])('refuses the rate %p', async (bad) => {
    await expect(oracle.setRate({ model: HAIKU, tokenKind: 'input', numerator: 5n, ...bad })).rejects.toBeInstanceOf(InvalidRateError);
  });

  it('keeps every balance exact under parallel turns of many persons', async () => {
    const people = await Promise.all(Array.from({ length: 16 }, () => ctx.fundedPerson('haiku', 10_000n)));
    const turns = 8;
    await Promise.all(
      people.map(async (p) => {
        for (let i = 0; i < turns; i++) {
          await charge(p.id, [
            { stage: 'classify', model: HAIKU, usage: usage({ input: 300, output: 10 }) }, // 0.35 → 1
            { stage: 'respond', model: HAIKU, usage: usage({ input: 2000, output: 500 }) }, // 4.5 → 5
          ]);
        }
      }),
    );
    for (const p of people) expect(await ledger.balance(p.id, 'haiku')).toBe(10_000n - BigInt(turns * 6));
  });
});
