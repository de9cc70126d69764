import fc from 'fast-check';
import { Transactions } from '@loomworks/database';
import {
  LedgerKeyReusedError,
  TurnsInFlightError,
  type PlaceHoldCommand,
  type Rate,
  type TokenKind,
} from '@loomworks/credit';
import type { Usage } from '@loomworks/common';
import { messagesInputBound } from '@loomworks/llm';
import { HoldsService, LedgerService, LifecycleService, OracleService } from '@loomworks/credit/staff';
import { SecretBox, SystemConfigService } from '@loomworks/system-config';
import { creditsFor } from '../support/oracle';
import { statementsOf } from '../support/statements';
import { TestContext } from '../support/test-context';

const HAIKU = 'claude-haiku-4-5-20251001';
const SONNET = 'claude-sonnet-4-6';
const usage = (u: Partial<Usage>): Usage => ({ input: 0, output: 0, cacheRead: 0, cacheWrite: 0, ...u });
const inputBound = (system: string, texts: string[]) => {
  const bound = messagesInputBound({ system, messages: texts.map((content) => ({ role: 'user', content })) });
  if (!('inputTokens' in bound)) throw new Error(bound.refused);
  return bound.inputTokens;
};
let turnSeq = 0;
const newTurnId = () => `00000000-0000-4000-9000-${String(++turnSeq).padStart(12, '0')}`;
const command = (personId: string, over: Partial<PlaceHoldCommand> = {}): PlaceHoldCommand => ({
  personId,
  turnId: newTurnId(),
  classify: { inputTokens: 200, maxTokens: 10 },
  respond: { inputTokens: 300, maxTokens: 1024 },
  ...over,
});

describe('holds (reservations)', () => {
  let ctx: TestContext;
  let holds: HoldsService;
  let ledger: LedgerService;

  beforeAll(async () => {
    ctx = await TestContext.create();
    holds = ctx.get(HoldsService);
    ledger = ctx.get(LedgerService);
  });
  afterEach(() => ctx.expectLedgerConsistent());
  afterAll(() => ctx.close());

  const activeHolds = async (personId: string) =>
    ctx.db.query<{ status: string }>("SELECT status FROM credit.holds WHERE person_id = $1 AND status = 'active'", [personId]);

  it('places a hold as a flow to system:held and a credit.holds row; the balance is what can still be spent', async () => {
    const person = await ctx.fundedPerson('haiku', 1000n);
    const placed = await holds.place(command(person.id));
    // classify: ceil((200 × 1250 + 10 × 5000) / 10^6) = 1; respond: ceil((300 × 1250 + 1024 × 5000) / 10^6) = 6
    expect(placed).toMatchObject({ status: 'placed', hold: { asset: 'haiku', amount: 7n }, respondMaxTokens: 1024, balanceBefore: 1000n, models: { classifier: HAIKU, responder: HAIKU } });
    if (placed.status !== 'placed') throw new Error('not placed');
    expect(await ledger.balance(person.id, 'haiku')).toBe(993n);
    expect(await ctx.db.query('SELECT kind, to_party, idempotency_key FROM credit.flows WHERE person_id = $1 ORDER BY id DESC LIMIT 1', [person.id])).toEqual([
      { kind: 'hold', to_party: 'system:held', idempotency_key: `hold:${placed.hold.id}` },
    ]);
    expect(await holds.activeHolds(person.id)).toEqual([expect.objectContaining({ id: placed.hold.id, amount: 7n, status: 'active' })]);
    await holds.release(placed.hold.id);
    expect(await ledger.balance(person.id, 'haiku')).toBe(1000n);
  });

  it('gives holds time-ordered ids, so their flows\' keys sort in the order placed (each insert on the key index\'s last pages)', async () => {
    const person = await ctx.fundedPerson('haiku', 1000n);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const placed = await holds.place(command(person.id));
      if (placed.status !== 'placed') throw new Error('not placed');
      ids.push(placed.hold.id);
      await holds.release(placed.hold.id); // at most 4 turns in flight
    }
    expect(ids.every((id) => id[14] === '7')).toBe(true); // UUID version 7
    const keys = await ctx.db.query<{ idempotency_key: string }>(
      "SELECT idempotency_key FROM credit.flows WHERE person_id = $1 AND kind = 'hold' ORDER BY id",
      [person.id],
    );
    expect(keys.map((k) => k.idempotency_key)).toEqual(ids.map((id) => `hold:${id}`));
    expect([...ids].sort()).toEqual(ids);
  });

  it('settles: releases the hold, charges each stage under turn:<id>:<stage>, and reports balances before the hold and after', async () => {
    const person = await ctx.fundedPerson('sonnet', 1000n);
    const cmd = command(person.id);
    const placed = await holds.place(cmd);
    if (placed.status !== 'placed') throw new Error('not placed');
    const settled = await holds.settle({
      holdId: placed.hold.id,
      turnId: cmd.turnId,
      stages: [
        { stage: 'classify', model: HAIKU, usage: usage({ input: 150, output: 2 }) }, // ceil(0.16) = 1
        { stage: 'respond', model: SONNET, usage: usage({ input: 250, output: 300 }) }, // ceil(0.75 + 4.5) = 6
      ],
    });
    expect(settled).toMatchObject({ asset: 'sonnet', held: placed.hold.amount, charged: 7n, balanceBefore: 1000n, balanceAfter: 993n, holdExceeded: false, late: false });
    const flows = await ctx.db.query<{ kind: string; idempotency_key: string }>('SELECT kind, idempotency_key FROM credit.flows WHERE person_id = $1 ORDER BY id', [person.id]);
    expect(flows.slice(1)).toEqual([
      { kind: 'hold', idempotency_key: `hold:${placed.hold.id}` },
      { kind: 'release', idempotency_key: `release:${placed.hold.id}` },
      { kind: 'consumption', idempotency_key: `turn:${cmd.turnId}:classify` },
      { kind: 'consumption', idempotency_key: `turn:${cmd.turnId}:respond` },
    ]);
    expect((await holds.byId(placed.hold.id))!.status).toBe('settled');
  });

  it.each([
    ['the first stage', [usage({}), usage({ input: 250, output: 300 })], [0n, 6n]],
    ['the second stage', [usage({ input: 250, output: 300 }), usage({})], [6n, 0n]],
  ] as const)('answers each stage with the flow that charged it, and none when %s cost nothing (its flows written in one statement)', async (_, [first, second], credits) => {
    const person = await ctx.fundedPerson('sonnet', 1000n);
    const cmd = command(person.id);
    const placed = await holds.place(cmd);
    if (placed.status !== 'placed') throw new Error('not placed');
    const settled = await holds.settle({
      holdId: placed.hold.id,
      turnId: cmd.turnId,
      stages: [{ stage: 'classify', model: SONNET, usage: first }, { stage: 'respond', model: SONNET, usage: second }],
    });
    expect(settled.stages.map((s) => [s.stage, s.credits])).toEqual([['classify', credits[0]], ['respond', credits[1]]]);
    const written = await ctx.db.query<{ id: string; idempotency_key: string }>(
      "SELECT id::text AS id, idempotency_key FROM credit.flows WHERE kind = 'consumption' AND person_id = $1",
      [person.id],
    );
    const charging = settled.stages.find((s) => s.credits > 0n)!;
    expect(written).toEqual([{ id: charging.flowId, idempotency_key: `turn:${cmd.turnId}:${charging.stage}` }]);
    expect(settled.stages.find((s) => s.credits === 0n)!.flowId).toBeNull();
  });

  it('records hold_exceeded when the provider reports more than the bound, and still charges it', async () => {
    const person = await ctx.fundedPerson('haiku', 20n);
    const cmd = command(person.id);
    const placed = await holds.place(cmd);
    if (placed.status !== 'placed') throw new Error('not placed');
    const settled = await holds.settle({
      holdId: placed.hold.id,
      turnId: cmd.turnId,
      stages: [{ stage: 'respond', model: HAIKU, usage: usage({ input: 100_000, output: 10_000 }) }], // 100 + 50 = 150
    });
    expect(settled).toMatchObject({ held: 7n, charged: 150n, balanceAfter: -130n, holdExceeded: true });
    const [flow] = await ctx.db.query<{ metadata: Record<string, unknown> }>("SELECT metadata FROM credit.flows WHERE idempotency_key = $1", [`turn:${cmd.turnId}:respond`]);
    expect(flow.metadata.holdExceeded).toEqual({ holdId: placed.hold.id, held: 7, charged: 150 });
    // verify() accepts this negative balance because its cause is recorded (afterEach checks it).
  });

  it('lowers max_tokens to what the balance covers, falls back a tier below converse_min_response_tokens, and refuses when none can', async () => {
    const person = await ctx.fundedPerson('haiku', 4n);
    const lowered = await holds.place(command(person.id));
    // 4 credits: classify takes 1; 3 buy floor((3·10^6 − 300 × 1250) / 5000) = 525 tokens
    expect(lowered).toMatchObject({ status: 'placed', respondMaxTokens: 525, hold: { amount: 4n } });
    expect(await ledger.balance(person.id, 'haiku')).toBe(0n);
    expect(await holds.place(command(person.id))).toEqual({ status: 'credit_exhausted' });

    const two = await ctx.fundedPerson('haiku', 10_000n);
    await ledger.adjust({ personId: two.id, asset: 'opus', amount: 1n, reason: 'one opus credit', actorPersonId: null });
    const fallback = await holds.place(command(two.id));
    expect(fallback).toMatchObject({ status: 'placed', hold: { asset: 'haiku' }, models: { responder: HAIKU } });
    for (const placed of [lowered, fallback]) if (placed.status === 'placed') await holds.release(placed.hold.id);
    expect(await activeHolds(person.id)).toEqual([]);
  });

  it('gates on the account status under the person lock, and limits turns in flight', async () => {
    const person = await ctx.fundedPerson('haiku', 1000n);
    const settings = ctx.get(SystemConfigService);
    await settings.set('max_turns_in_flight', 2);
    try {
      await holds.place(command(person.id));
      await holds.place(command(person.id));
      await expect(holds.place(command(person.id))).rejects.toMatchObject({ code: 'turns_in_flight' });
    } finally {
      await settings.unset('max_turns_in_flight');
    }
    await ctx.get(LifecycleService).suspend(person.id);
    expect(await holds.place(command(person.id))).toEqual({ status: 'account_suspended' });
    await ctx.get(LifecycleService).delete(person.id);
    expect(await holds.place(command(person.id))).toEqual({ status: 'account_deleted' });
    // The deleted person's two holds settle; what they return is zeroed again (see below), and
    // the sweeper expires the rest.
    ctx.clock.set(new Date(ctx.clock.now().getTime() + 3600_000));
    expect(await holds.sweepExpired()).toBe(2);
    expect(await ledger.balance(person.id, 'haiku')).toBe(0n);
    ctx.clock.set(new Date(ctx.clock.now().getTime() - 3600_000));
  });

  it('expires a hold whose turn never settled, then settles it late: the person is charged once, directly', async () => {
    const person = await ctx.fundedPerson('haiku', 100n);
    const cmd = command(person.id);
    const placed = await holds.place(cmd);
    if (placed.status !== 'placed') throw new Error('not placed');
    const start = ctx.clock.now();
    ctx.clock.set(new Date(start.getTime() + 599_000));
    expect(await holds.sweepExpired()).toBe(0); // not yet: hold_ttl_seconds is 600
    ctx.clock.set(new Date(start.getTime() + 600_000));
    expect(await holds.sweepExpired()).toBe(1);
    expect((await holds.byId(placed.hold.id))!.status).toBe('expired');
    expect(await ledger.balance(person.id, 'haiku')).toBe(100n);

    const stages = [{ stage: 'respond' as const, model: HAIKU, usage: usage({ input: 1000, output: 200 }) }]; // 1 + 1 = 2
    const late = await holds.settle({ holdId: placed.hold.id, turnId: cmd.turnId, stages });
    expect(late).toMatchObject({ charged: 2n, balanceBefore: 100n, balanceAfter: 98n, late: true });
    await expect(holds.settle({ holdId: placed.hold.id, turnId: cmd.turnId, stages })).rejects.toThrow();
    expect(await ledger.balance(person.id, 'haiku')).toBe(98n);
    ctx.clock.set(start);
  });

  it('settles the hold of a person deleted meanwhile and zeroes the returned remainder again', async () => {
    const person = await ctx.fundedPerson('haiku', 100n);
    const cmd = command(person.id);
    const placed = await holds.place(cmd);
    if (placed.status !== 'placed') throw new Error('not placed');
    await ctx.get(LifecycleService).delete(person.id);
    expect(await ledger.balance(person.id, 'haiku')).toBe(0n); // 93 zeroed, 7 still held
    const settled = await holds.settle({ holdId: placed.hold.id, turnId: cmd.turnId, stages: [{ stage: 'respond', model: HAIKU, usage: usage({ input: 100, output: 100 }) }] });
    expect(settled).toMatchObject({ charged: 1n, balanceAfter: 0n });
    const zeroings = await ctx.db.query<{ amount: string }>("SELECT amount::text FROM credit.flows WHERE person_id = $1 AND kind = 'zeroing' ORDER BY id", [person.id]);
    expect(zeroings.map((z) => z.amount)).toEqual(['93', '6']);
    expect(await activeHolds(person.id)).toEqual([]);
  });

  it('refuses a ledger key reused for a different transfer instead of answering with the first flow', async () => {
    const person = await ctx.fundedPerson('haiku', 100n);
    const write = (amount: bigint) =>
      ctx.get(Transactions).run((tx) =>
        ledger.writeFlow(tx, { kind: 'adjustment', asset: 'haiku', amount, from: 'system:issuer', to: `person:${person.id}`, personId: person.id, idempotencyKey: `test:${person.id}` }),
      );
    const first = await write(5n);
    expect((await write(5n)).flow.id).toBe(first.flow.id); // a retry: the first flow
    await expect(write(6n)).rejects.toBeInstanceOf(LedgerKeyReusedError);
    await expect(ledger.adjust({ personId: person.id, asset: 'sonnet', amount: 5n, reason: 'r', actorPersonId: null, idempotencyKey: `test:${person.id}` })).rejects.toBeInstanceOf(LedgerKeyReusedError);
    expect(await ledger.balance(person.id, 'haiku')).toBe(105n);
  });

  it('costs one round trip to place and one to settle (settings from memory), and none more on the way back', async () => {
    const person = await ctx.fundedPerson('haiku', 1000n);
    const warm = await holds.place(command(person.id)); // reads the settings once
    if (warm.status === 'placed') await holds.release(warm.hold.id);
    const cmd = command(person.id);
    let placed: Awaited<ReturnType<HoldsService['place']>> | undefined;
    // one call of credit.place_hold — no settings read, no transaction statements
    expect(await statementsOf(async () => (placed = await holds.place(cmd)))).toEqual([expect.stringContaining('credit.place_hold')]);
    if (placed?.status !== 'placed') throw new Error('not placed');
    const holdId = placed.hold.id;
    const settling = await statementsOf(() =>
      ctx.get(Transactions).run((tx) =>
        holds.settle({ holdId, turnId: cmd.turnId, stages: [{ stage: 'respond', model: HAIKU, usage: usage({ input: 10, output: 10 }) }] }, tx),
      ),
    );
    expect(settling.filter((sql) => !/^(START TRANSACTION|SET TRANSACTION|COMMIT)/.test(sql))).toEqual([expect.stringContaining('credit.settle_hold')]);
    // and an LLM failure gives the hold back in one statement
    const failed = await holds.place(command(person.id));
    if (failed.status !== 'placed') throw new Error('not placed');
    expect(await statementsOf(() => holds.release(failed.hold.id))).toEqual([expect.stringContaining('credit.end_hold')]);
  });

  it('applies a settings change made by another instance to the very next hold (the cached settings are versioned)', async () => {
    const person = await ctx.fundedPerson('haiku', 1000n);
    const first = await holds.place(command(person.id));
    if (first.status !== 'placed') throw new Error('not placed');
    // Another instance lowers max_turns_in_flight to 1: this process's cache does not know.
    const sealed = ctx.get(SecretBox).encrypt(JSON.stringify(1));
    const previous = await ctx.db.query<{ value: string }>("SELECT value FROM system_config WHERE key = 'max_turns_in_flight'");
    await ctx.db.query(
      "INSERT INTO system_config (key, value, updated_at) VALUES ('max_turns_in_flight', $1, now()) ON CONFLICT (key) DO UPDATE SET value = $1",
      [sealed],
    );
    try {
      await expect(holds.place(command(person.id))).rejects.toBeInstanceOf(TurnsInFlightError);
    } finally {
      if (previous[0]) await ctx.db.query("UPDATE system_config SET value = $1 WHERE key = 'max_turns_in_flight'", [previous[0].value]);
      else await ctx.db.query("DELETE FROM system_config WHERE key = 'max_turns_in_flight'");
      await holds.release(first.hold.id);
    }
    const again = await holds.place(command(person.id));
    expect(again.status).toBe('placed');
    if (again.status === 'placed') await holds.release(again.hold.id);
  });

  it('writes only the indexes its holds are read by: each hold is an entry in 4, and its settlement in 1', async () => {
    // every reader goes through the id or the active holds (of a person, a payer, or all by expiry);
    // a key's active holds are read among its person's (spend_limits), so they have no index of their own
    const indexes = await ctx.db.query<{ name: string; partial: boolean }>(
      `SELECT c.relname AS name, i.indpred IS NOT NULL AS partial FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        WHERE i.indrelid = 'credit.holds'::regclass ORDER BY c.relname`,
    );
    expect(indexes).toEqual([
      { name: 'holds_expiry_idx', partial: true },
      { name: 'holds_payer_active_idx', partial: true },
      { name: 'holds_person_active_idx', partial: true },
      { name: 'holds_pkey', partial: false },
    ]);
  });

  it('reports a system:held balance that differs from the active holds', async () => {
    const person = await ctx.fundedPerson('haiku', 100n);
    // A hold flow written without its credit.holds row: the kind of drift verify() must see.
    await ctx.get(Transactions).run((tx) =>
      ledger.writeFlow(tx, { kind: 'hold', asset: 'haiku', amount: 3n, from: `person:${person.id}`, to: 'system:held', personId: person.id, idempotencyKey: `stray:${person.id}` }),
    );
    expect(await ledger.verify()).toMatchObject({ ok: false, heldMismatch: [{ asset: 'haiku', held: 3n, activeHolds: 0n }] });
    await ctx.get(Transactions).run((tx) =>
      ledger.writeFlow(tx, { kind: 'release', asset: 'haiku', amount: 3n, from: 'system:held', to: `person:${person.id}`, personId: person.id, idempotencyKey: `unstray:${person.id}` }),
    );
  });

  it('reports a negative person balance that nothing recorded explains', async () => {
    const person = await ctx.fundedPerson('haiku', 5n);
    await ctx.get(Transactions).run((tx) =>
      ledger.writeFlow(tx, { kind: 'consumption', asset: 'haiku', amount: 8n, from: `person:${person.id}`, to: 'system:consumed', personId: person.id, idempotencyKey: `raw:${person.id}` }),
    );
    expect(await ledger.verify()).toMatchObject({ ok: false, unexplainedNegativeBalances: [{ personId: person.id, asset: 'haiku', balance: -3n }] });
    await ledger.adjust({ personId: person.id, asset: 'haiku', amount: 3n, reason: 'test repair', actorPersonId: null });
  });

  describe('properties', () => {
    const rate = fc.record({ num: fc.integer({ min: 1, max: 100_000 }), den: fc.integer({ min: 1, max: 97 }) });
    const rates = fc.record({ input: rate, output: rate, cacheRead: rate, cacheWrite: rate });
    const setRates = async (model: string, r: Record<TokenKind, { num: number; den: number }>) => {
      for (const kind of ['input', 'output', 'cacheRead', 'cacheWrite'] as const) {
        await ctx.get(OracleService).setRate({ model, tokenKind: kind, numerator: BigInt(r[kind].num), denominator: BigInt(r[kind].den) });
      }
    };

    it('prices a stage in SQL exactly as the oracle does (ceil of the exact sum)', async () => {
      const tokens = fc.record({ input: fc.nat({ max: 500_000 }), output: fc.nat({ max: 100_000 }), cacheRead: fc.nat({ max: 500_000 }), cacheWrite: fc.nat({ max: 500_000 }) });
      await fc.assert(
        fc.asyncProperty(rates, tokens, async (r, u) => {
          await setRates('prop-model', r);
          const [row] = await ctx.db.query<{ credits: string }>('SELECT credits::text FROM credit.stage_charge($1, $2, $3)', ['prop-model', JSON.stringify(u), ctx.clock.now()]);
          const map = new Map<TokenKind, Rate>((Object.keys(r) as TokenKind[]).map((k) => [k, { id: '0', tokenKind: k, numerator: BigInt(r[k].num), denominator: BigInt(r[k].den) }]));
          expect(BigInt(row.credits)).toBe(creditsFor(u, map));
        }),
        { numRuns: 40 },
      );
    }, 120_000);

    it('a hold is an upper bound of any usage the provider can truthfully report, whatever rates change before it settles', async () => {
      const text = fc.string({ unit: 'binary', maxLength: 400 });
      const scenario = fc.record({
        message: text.filter((m) => m.length > 0),
        history: fc.array(text, { maxLength: 6 }),
        classifierRates: rates,
        responderRates: rates,
        balance: fc.integer({ min: 1, max: 200 }),
        // what the provider reports: all the input tokens the bound allows, split among the kinds
        // (the rest on `rest`), and a share of max_tokens (often all of it: the worst case)
        split: fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true })),
        rest: fc.constantFrom('input' as const, 'cacheRead' as const, 'cacheWrite' as const),
        outputShare: fc.oneof(fc.constant(1), fc.double({ min: 0, max: 1, noNaN: true })),
        // staff change the rates (PUT /admin/rates) while the turn is in flight
        later: fc.option(fc.record({ classifierRates: rates, responderRates: rates }), { nil: undefined }),
      });
      const oracle = (r: Record<TokenKind, { num: number; den: number }>) =>
        new Map<TokenKind, Rate>((Object.keys(r) as TokenKind[]).map((k) => [k, { id: '0', tokenKind: k, numerator: BigInt(r[k].num), denominator: BigInt(r[k].den) }]));
      const settings = ctx.get(SystemConfigService);
      await settings.set('max_turns_in_flight', 1000);
      let settledRuns = 0;
      try {
        await fc.assert(
          fc.asyncProperty(scenario, async (s) => {
            await setRates(HAIKU, s.classifierRates);
            await setRates(SONNET, s.responderRates);
            const person = await ctx.fundedPerson('sonnet', BigInt(s.balance));
            const classifyIn = inputBound('Classify the user message.', [s.message]);
            const respondIn = inputBound('the longest responder prompt', [...s.history, s.message]);
            const cmd = command(person.id, { classify: { inputTokens: classifyIn, maxTokens: 10 }, respond: { inputTokens: respondIn, maxTokens: 1024 } });
            const placed = await holds.place(cmd);
            if (placed.status !== 'placed') return; // too little credit: refused, nothing to bound
            expect(placed.hold.amount).toBeLessThanOrEqual(BigInt(s.balance));
            const truthful = (inputBound: number, maxTokens: number) => {
              const u = usage({ output: Math.floor(maxTokens * s.outputShare) });
              u.input = Math.floor(inputBound * s.split[0]);
              u.cacheRead = Math.floor((inputBound - u.input) * s.split[1]);
              u[s.rest] += inputBound - u.input - u.cacheRead - u.cacheWrite;
              return u;
            };
            if (s.later) {
              ctx.clock.advanceSeconds(1);
              await setRates(HAIKU, s.later.classifierRates);
              await setRates(SONNET, s.later.responderRates);
            }
            const classifyUsage = truthful(classifyIn, 10);
            const respondUsage = truthful(respondIn, placed.respondMaxTokens);
            const settled = await holds.settle({
              holdId: placed.hold.id,
              turnId: cmd.turnId,
              stages: [
                { stage: 'classify', model: HAIKU, usage: classifyUsage },
                { stage: 'respond', model: SONNET, usage: respondUsage },
              ],
            });
            // priced at the rates in force when the hold was placed, by the independent oracle
            expect(settled.stages.map((st) => st.credits)).toEqual([
              creditsFor(classifyUsage, oracle(s.classifierRates)),
              creditsFor(respondUsage, oracle(s.responderRates)),
            ]);
            expect(settled.charged).toBeLessThanOrEqual(settled.held);
            expect(settled.holdExceeded).toBe(false);
            expect(settled.balanceAfter).toBeGreaterThanOrEqual(0n);
            settledRuns++;
          }),
          { numRuns: 25 },
        );
        expect(settledRuns).toBeGreaterThan(5); // the property was exercised, not only refusals
      } finally {
        await settings.unset('max_turns_in_flight');
      }
    }, 300_000);
  });
});
