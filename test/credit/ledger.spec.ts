import { Client } from 'pg';
import { Transactions } from '@loomworks/database';
import { InvalidAmountError, UnknownAssetError, personParty } from '@loomworks/credit';
import { HoldsService, LedgerService, SealerService } from '@loomworks/credit/staff';
import { chargeTurn } from '../support/charge-turn';
import { PersonNotFoundError } from '@loomworks/persons';
import { TestContext, unique } from '../support/test-context';

describe('ledger', () => {
  let ctx: TestContext;
  let ledger: LedgerService;
  let transactions: Transactions;

  beforeAll(async () => {
    ctx = await TestContext.create();
    ledger = ctx.get(LedgerService);
    transactions = ctx.get(Transactions);
  });
  afterEach(() => ctx.expectLedgerConsistent());
  afterAll(() => ctx.close());

  describe('flows are append-only', () => {
    it.each([
      ['UPDATE', 'UPDATE credit.flows SET amount = amount + 1'],
      ['DELETE', 'DELETE FROM credit.flows'],
      ['TRUNCATE', 'TRUNCATE credit.flows CASCADE'],
    ])('the database refuses %s', async (op, sql) => {
      await ctx.fundedPerson();
      const before = await ctx.db.query('SELECT id, amount FROM credit.flows ORDER BY id');
      await expect(ctx.db.query(sql)).rejects.toThrow(`credit.flows is append-only: ${op} refused`);
      expect(await ctx.db.query('SELECT id, amount FROM credit.flows ORDER BY id')).toEqual(before);
    });
  });

  it('keeps balances by trigger: the issuance credits the person and debits the issuer', async () => {
    const person = await ctx.fundedPerson('sonnet', 750n);
    expect(await ledger.balances(person.id)).toEqual([{ asset: 'sonnet', amount: 750n }]);
    const [slot] = await ctx.db.query<{ party: string; slot: number; amount: string }>(
      "SELECT party, slot, amount::text FROM credit.balances WHERE party = $1",
      [personParty(person.id)],
    );
    expect(slot).toEqual({ party: personParty(person.id), slot: 0, amount: '750' });
  });

  it('nets a self-transfer to zero', async () => {
    const person = await ctx.fundedPerson('haiku', 100n);
    await transactions.run((tx) =>
      ledger.writeFlow(tx, { kind: 'reversal', asset: 'haiku', amount: 40n, from: personParty(person.id), to: personParty(person.id), personId: person.id }),
    );
    expect(await ledger.balance(person.id, 'haiku')).toBe(100n);
  });

  it('returns the first flow for a repeated idempotency key and writes no second', async () => {
    const person = await ctx.fundedPerson();
    const write = () =>
      transactions.run((tx) =>
        ledger.writeFlow(tx, {
          kind: 'adjustment', asset: 'haiku', amount: 5n, from: 'system:issuer', to: personParty(person.id),
          personId: person.id, idempotencyKey: `test:${person.id}`,
        }),
      );
    const first = await write();
    const second = await write();
    expect(first.created).toBe(true);
    expect(second).toEqual({ flow: first.flow, created: false });
    expect(await ctx.db.query('SELECT 1 FROM credit.flows WHERE idempotency_key = $1', [`test:${person.id}`])).toHaveLength(1);
  });

  describe('several flows in one write (credit.write_flows, as a settlement writes its release and charges)', () => {
    type FlowRow = { kind: string; amount: bigint; from: string; to: string; key: string | null };
    const writeFlows = (personId: string, flows: FlowRow[]) =>
      ctx.db.query<{ n: number; flow_id: string; created: boolean }>(
        `SELECT n, flow_id::text AS flow_id, created FROM credit.write_flows(
           p_kinds => $1, p_assets => $2, p_amounts => $3, p_from => $4, p_to => $5, p_persons => $6::uuid[],
           p_keys => $7, p_metadata => $8::jsonb[], p_at => now())`,
        [
          flows.map((f) => f.kind), flows.map(() => 'haiku'), flows.map((f) => f.amount.toString()), flows.map((f) => f.from),
          flows.map((f) => f.to), flows.map(() => personId), flows.map((f) => f.key), flows.map(() => '{}'),
        ],
      );
    const consumed = async () =>
      BigInt((await ctx.db.query<{ s: string }>("SELECT coalesce(sum(amount), 0)::text AS s FROM credit.balances WHERE party = 'system:consumed'"))[0].s);
    const settlement = (personId: string, tag: string, second = 4n): FlowRow[] => [
      { kind: 'adjustment', amount: 10n, from: 'system:issuer', to: personParty(personId), key: `credit:${tag}` },
      { kind: 'consumption', amount: 3n, from: personParty(personId), to: 'system:consumed', key: `turn:${tag}:classify` },
      { kind: 'consumption', amount: second, from: personParty(personId), to: 'system:consumed', key: `turn:${tag}:respond` },
    ];

    it('writes them in the order given and moves each balance by their sum', async () => {
      const person = await ctx.fundedPerson('haiku', 100n);
      const before = await consumed();
      const rows = await writeFlows(person.id, settlement(person.id, person.id));
      expect(rows.map((r) => [r.n, r.created])).toEqual([[1, true], [2, true], [3, true]]);
      const written = await ctx.db.query<{ id: string; kind: string; amount: string }>(
        'SELECT id::text AS id, kind, amount::text AS amount FROM credit.flows WHERE id = ANY ($1::bigint[]) ORDER BY id',
        [rows.map((r) => r.flow_id)],
      );
      expect(written.map((f) => [f.id, f.kind, f.amount])).toEqual([
        [rows[0].flow_id, 'adjustment', '10'], [rows[1].flow_id, 'consumption', '3'], [rows[2].flow_id, 'consumption', '4'],
      ]);
      expect(await ledger.balance(person.id, 'haiku')).toBe(103n);
      expect((await consumed()) - before).toBe(7n);
    });

    it('answers a retry with the first flows, refuses a key reused for another amount and then writes none of the call', async () => {
      const person = await ctx.fundedPerson('haiku', 100n);
      const first = await writeFlows(person.id, settlement(person.id, person.id));
      const retry = await writeFlows(person.id, settlement(person.id, person.id));
      expect(retry).toEqual(first.map((r) => ({ ...r, created: false })));
      // a retry that adds flows: the old keys answer their first flow, the new ones (with or without a key) are written
      const extra: FlowRow[] = [
        ...settlement(person.id, person.id).slice(0, 1),
        { kind: 'adjustment', amount: 2n, from: 'system:issuer', to: personParty(person.id), key: null },
        { kind: 'adjustment', amount: 1n, from: 'system:issuer', to: personParty(person.id), key: `adj:${person.id}` },
      ];
      const mixed = await writeFlows(person.id, extra);
      expect(mixed.map((r) => r.created)).toEqual([false, true, true]);
      expect(mixed[0].flow_id).toBe(first[0].flow_id);
      expect(BigInt(mixed[2].flow_id)).toBeGreaterThan(BigInt(mixed[1].flow_id));
      expect(await ledger.balance(person.id, 'haiku')).toBe(106n);
      const flows = await ctx.db.query('SELECT id FROM credit.flows WHERE person_id = $1', [person.id]);
      const reused = [...settlement(person.id, person.id, 5n), { kind: 'adjustment', amount: 1n, from: 'system:issuer', to: personParty(person.id), key: `new:${person.id}` }];
      await expect(writeFlows(person.id, reused)).rejects.toThrow('ledger_key_reused');
      expect(await ctx.db.query('SELECT id FROM credit.flows WHERE person_id = $1', [person.id])).toEqual(flows);
      expect(await ledger.balance(person.id, 'haiku')).toBe(106n);
    });

    it('one flow: a retry answers the first, a key reused for another amount is refused, no key is always new', async () => {
      const person = await ctx.fundedPerson('haiku', 100n);
      const one = (amount: bigint, key: string | null) =>
        writeFlows(person.id, [{ kind: 'adjustment', amount, from: 'system:issuer', to: personParty(person.id), key }]);
      const [first] = await one(2n, `one:${person.id}`);
      expect(first).toMatchObject({ n: 1, created: true });
      expect(await one(2n, `one:${person.id}`)).toEqual([{ ...first, created: false }]);
      await expect(one(3n, `one:${person.id}`)).rejects.toThrow('ledger_key_reused');
      const [a] = await one(1n, null);
      const [b] = await one(1n, null);
      expect([a.created, b.created]).toEqual([true, true]);
      expect(BigInt(b.flow_id)).toBeGreaterThan(BigInt(a.flow_id));
      expect(await ledger.balance(person.id, 'haiku')).toBe(104n);
    });

    it('refuses the whole call when one of its flows would take a balance out of range', async () => {
      const person = await ctx.fundedPerson('haiku', 100n);
      const flows = await ctx.db.query('SELECT id FROM credit.flows WHERE person_id = $1', [person.id]);
      await expect(
        writeFlows(person.id, [
          { kind: 'adjustment', amount: 1n, from: 'system:issuer', to: personParty(person.id), key: `ok:${person.id}` },
          { kind: 'adjustment', amount: 9007199254740991n - 100n, from: 'system:issuer', to: personParty(person.id), key: `big:${person.id}` },
        ]),
      ).rejects.toThrow('amount_out_of_range');
      expect(await ctx.db.query('SELECT id FROM credit.flows WHERE person_id = $1', [person.id])).toEqual(flows);
      expect(await ledger.balance(person.id, 'haiku')).toBe(100n);
    });
  });

  it('refuses flows of a non-positive amount', async () => {
    const person = await ctx.fundedPerson();
    await expect(
      transactions.run((tx) => ledger.writeFlow(tx, { kind: 'adjustment', asset: 'haiku', amount: 0n, from: 'system:issuer', to: personParty(person.id), personId: person.id })),
    ).rejects.toBeInstanceOf(InvalidAmountError);
  });

  describe('adjustments', () => {
    it('credit from and debit to system:issuer with the reason and actor recorded', async () => {
      const person = await ctx.fundedPerson('haiku', 100n);
      const admin = await ctx.newPerson();
      const up = await ledger.adjust({ personId: person.id, asset: 'haiku', amount: 25n, reason: ' goodwill ', actorPersonId: admin.id });
      expect(up).toMatchObject({ kind: 'adjustment', amount: 25n, from: 'system:issuer', to: personParty(person.id), metadata: { reason: 'goodwill', actorPersonId: admin.id } });
      const down = await ledger.adjust({ personId: person.id, asset: 'haiku', amount: -200n, reason: 'clawback', actorPersonId: admin.id });
      expect(down).toMatchObject({ amount: 200n, from: personParty(person.id), to: 'system:issuer' });
      expect(await ledger.balance(person.id, 'haiku')).toBe(-75n);
    });

    it.each([
      [{ amount: 0n }, InvalidAmountError],
      [{ reason: '  ' }, InvalidAmountError],
      [{ asset: 'platinum' }, UnknownAssetError],
      [{ personId: '00000000-0000-4000-8000-000000000000' }, PersonNotFoundError],
    ])('refuses %p and writes nothing', async (bad, error) => {
      const person = await ctx.fundedPerson();
      const flowsBefore = await ctx.db.query('SELECT count(*) FROM credit.flows');
      await expect(ledger.adjust({ personId: person.id, asset: 'haiku', amount: 10n, reason: 'r', actorPersonId: null, ...bad })).rejects.toBeInstanceOf(error);
      expect(await ctx.db.query('SELECT count(*) FROM credit.flows')).toEqual(flowsBefore);
    });
  });

  it('pages a person\'s flows newest first with a stable cursor', async () => {
    const person = await ctx.fundedPerson('haiku', 10n);
    for (let i = 1; i <= 4; i++) await ledger.adjust({ personId: person.id, asset: 'haiku', amount: BigInt(i), reason: `r${i}`, actorPersonId: null });
    const first = await ledger.flows(person.id, { limit: 2 });
    expect(first.items.map((f) => f.amount)).toEqual([4n, 3n]);
    expect(first.items[0]).toMatchObject({ direction: 'in', counterparty: 'system:issuer', kind: 'adjustment' });
    // a newer flow arriving between pages does not shift the next page
    await ledger.adjust({ personId: person.id, asset: 'haiku', amount: 99n, reason: 'late', actorPersonId: null });
    const second = await ledger.flows(person.id, { limit: 2, cursor: first.nextCursor });
    expect(second.items.map((f) => f.amount)).toEqual([2n, 1n]);
    const third = await ledger.flows(person.id, { limit: 2, cursor: second.nextCursor });
    expect(third.items.map((f) => f.kind)).toEqual(['issuance']);
    expect(third.nextCursor).toBeNull();
  });

  it('verify reports drift when a balance row is corrupted', async () => {
    const person = await ctx.fundedPerson('opus', 300n);
    const party = personParty(person.id);
    await ctx.db.query("UPDATE credit.balances SET amount = amount + 7 WHERE party = $1 AND asset = 'opus'", [party]);
    const report = await ledger.verify();
    expect(report.ok).toBe(false);
    expect(report.drift).toEqual([{ party, asset: 'opus', balance: 307n, sumOfFlows: 300n }]);
    expect(report.unbalancedAssets).toEqual([{ asset: 'opus', sum: 7n }]);
    expect(report.checkedFlows).toBeGreaterThan(0);
    await ctx.db.query("UPDATE credit.balances SET amount = amount - 7 WHERE party = $1 AND asset = 'opus'", [party]);
  });

  describe('incremental verification', () => {
    const checkpoint = async () =>
      (await ctx.db.query<{ through: string; flows: number }>('SELECT through_flow_id::text AS through, flows::int AS flows FROM credit.verification_checkpoint'))[0];
    const flowCount = async () => (await ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM credit.flows'))[0].n;

    it('folds sealed flows into the verified sums and still counts and checks every flow', async () => {
      await ctx.fundedPerson('haiku', 40n);
      await ctx.get(SealerService).sealOnce();
      await ledger.checkpoint();
      const report = await ledger.verify();
      expect(report).toMatchObject({ ok: true, checkedFlows: await flowCount() });
      const [{ max }] = await ctx.db.query<{ max: string }>('SELECT max(id)::text AS max FROM credit.flows');
      expect(await checkpoint()).toEqual({ through: max, flows: await flowCount() });
    });

    it('finds a corrupted balance whose flows are all behind the checkpoint', async () => {
      const person = await ctx.fundedPerson('sonnet', 120n);
      await ctx.get(SealerService).sealOnce();
      await ledger.checkpoint(); // the issuance is now folded
      const party = personParty(person.id);
      await ctx.db.query("UPDATE credit.balances SET amount = amount - 20 WHERE party = $1 AND asset = 'sonnet'", [party]);
      const report = await ledger.verify();
      expect(report.drift).toEqual([{ party, asset: 'sonnet', balance: 100n, sumOfFlows: 120n }]);
      expect(report.ok).toBe(false);
      await ctx.db.query("UPDATE credit.balances SET amount = amount + 20 WHERE party = $1 AND asset = 'sonnet'", [party]);
    });

    it('compares the balances the new flows touched and those written outside a flow, not the others', async () => {
      const touched = await ctx.fundedPerson('sonnet', 50n);
      const untouched = await ctx.fundedPerson('sonnet', 60n);
      await ctx.get(SealerService).sealOnce();
      await ledger.checkpoint();
      const shift = (party: string, by: number) =>
        ctx.db.query("UPDATE credit.balances SET amount = amount + $2 WHERE party = $1 AND asset = 'sonnet'", [party, by]);
      // Seven credits moved between two balances behind the flows' back: every asset still sums to
      // zero, and no flow touches the second balance — it is compared because it was written outside a flow.
      await shift(personParty(touched.id), -7);
      await shift(personParty(untouched.id), 7);
      try {
        await ledger.adjust({ personId: touched.id, asset: 'sonnet', amount: 1n, reason: 'after the checkpoint', actorPersonId: null });
        const both = [
          { party: personParty(touched.id), asset: 'sonnet', balance: 44n, sumOfFlows: 51n },
          { party: personParty(untouched.id), asset: 'sonnet', balance: 67n, sumOfFlows: 60n },
        ].sort((a, b) => (a.party < b.party ? -1 : 1));
        const incremental = await ledger.verify();
        expect(incremental).toMatchObject({ ok: false, unbalancedAssets: [], drift: both });
        // The same balance rows read, never every balance: nothing else of the ledger is watched.
        expect((await ctx.db.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM credit.verification_watch WHERE party IN ($1, $2)", [personParty(touched.id), personParty(untouched.id)],
        ))[0].n).toBe(2);
        expect((await ledger.verify({ full: true })).drift).toEqual(both);
      } finally {
        await shift(personParty(touched.id), 7);
        await shift(personParty(untouched.id), -7);
      }
    });

    it("finds the API role's write to a folded balance, which it can neither hide from the watch nor stop being watched", async () => {
      const person = await ctx.fundedPerson('opus', 80n);
      await ctx.get(SealerService).sealOnce();
      await ledger.checkpoint();
      const party = personParty(person.id);
      const api = new Client({ connectionString: ctx.db.runtimeUrl });
      await api.connect();
      try {
        await api.query("UPDATE credit.balances SET amount = amount + 9 WHERE party = $1 AND asset = 'opus'", [party]);
        for (const sql of [
          `DELETE FROM credit.verification_watch WHERE party = '${party}'`,
          `UPDATE credit.verification_watch SET outside_flow = false WHERE party = '${party}'`,
          'ALTER TABLE credit.balances DISABLE TRIGGER balances_watch',
          'TRUNCATE credit.verification_watch',
        ]) {
          await expect(api.query(sql)).rejects.toMatchObject({ code: '42501' });
        }
        const report = await ledger.verify();
        expect(report).toMatchObject({ ok: false, drift: [{ party, asset: 'opus', balance: 89n, sumOfFlows: 80n }], unbalancedAssets: [{ asset: 'opus', sum: 9n }] });
      } finally {
        await api.query("UPDATE credit.balances SET amount = amount - 9 WHERE party = $1 AND asset = 'opus'", [party]);
        await api.end();
      }
      expect((await ledger.verify()).ok).toBe(true);
    });

    it('leaves a zero-sum change by the owner with the watch trigger disabled to verify?full', async () => {
      const a = await ctx.fundedPerson('sonnet', 30n);
      const b = await ctx.fundedPerson('sonnet', 40n);
      await ctx.get(SealerService).sealOnce();
      await ledger.checkpoint();
      const shift = (by: number) =>
        ctx.db.query(
          `ALTER TABLE credit.balances DISABLE TRIGGER balances_watch;
           UPDATE credit.balances SET amount = amount - ${by} WHERE party = '${personParty(a.id)}' AND asset = 'sonnet';
           UPDATE credit.balances SET amount = amount + ${by} WHERE party = '${personParty(b.id)}' AND asset = 'sonnet';
           ALTER TABLE credit.balances ENABLE TRIGGER balances_watch`,
        );
      await shift(3);
      try {
        expect(await ledger.verify()).toMatchObject({ ok: true });
        expect((await ledger.verify({ full: true })).drift).toEqual(
          [
            { party: personParty(a.id), asset: 'sonnet', balance: 27n, sumOfFlows: 30n },
            { party: personParty(b.id), asset: 'sonnet', balance: 43n, sumOfFlows: 40n },
          ].sort((x, y) => (x.party < y.party ? -1 : 1)),
        );
      } finally {
        await shift(-3);
      }
    });

    it('finds a person below zero whose flows are all behind the checkpoint, and stops watching once they are not', async () => {
      const person = await ctx.fundedPerson('haiku', 5n);
      await ledger.adjust({ personId: person.id, asset: 'haiku', amount: -8n, reason: 'explained deficit', actorPersonId: null });
      await ctx.get(Transactions).run((tx) =>
        ledger.writeFlow(tx, { kind: 'consumption', asset: 'haiku', amount: 2n, from: personParty(person.id), to: 'system:consumed', personId: person.id, idempotencyKey: unique('charge') }),
      );
      await ctx.get(SealerService).sealOnce();
      await ledger.checkpoint();
      const watched = async () =>
        (await ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM credit.verification_watch WHERE party = $1', [personParty(person.id)]))[0].n;
      expect(await watched()).toBe(1);
      expect((await ledger.verify()).unexplainedNegativeBalances).toEqual([{ personId: person.id, asset: 'haiku', balance: -5n }]);
      await ledger.adjust({ personId: person.id, asset: 'haiku', amount: 5n, reason: 'repaid', actorPersonId: null });
      await ctx.get(SealerService).sealOnce();
      await ledger.checkpoint();
      expect(await watched()).toBe(0);
      expect(await ledger.verify()).toMatchObject({ ok: true, unexplainedNegativeBalances: [] });
    });

    it('never checkpoints past a flow that commits after a higher-numbered one', async () => {
      const early = await ctx.fundedPerson('haiku', 500n);
      const late = await ctx.fundedPerson('haiku', 500n);
      // flow N is taken by a transaction that stays open; flow N+1 commits first
      const open = new Client({ connectionString: ctx.db.url });
      await open.connect();
      try {
        await open.query('BEGIN');
        const [{ id: lowId }] = (
          await open.query(
            `INSERT INTO credit.flows (kind, asset, amount, from_party, to_party, person_id, created_at)
             VALUES ('consumption', 'haiku', 11, $1, 'system:consumed', $2, now()) RETURNING id::text AS id`,
            [personParty(early.id), early.id],
          )
        ).rows;
        await ledger.adjust({ personId: late.id, asset: 'haiku', amount: -5n, reason: 'after', actorPersonId: null });
        await ctx.get(SealerService).sealOnce();
        await ledger.checkpoint();
        const whileOpen = await ledger.verify();
        expect(whileOpen.ok).toBe(true);
        expect(BigInt((await checkpoint()).through)).toBeLessThan(BigInt(lowId));
        await open.query('COMMIT');
      } finally {
        await open.end();
      }
      await ctx.get(SealerService).sealOnce();
      await ledger.checkpoint();
      const after = await ledger.verify();
      expect(after).toMatchObject({ ok: true, checkedFlows: await flowCount() });
      expect(await ledger.balance(early.id, 'haiku')).toBe(489n);
    });
  });

  describe('hot rows', () => {
    const usage = { input: 1000, output: 100, cacheRead: 0, cacheWrite: 0 };

    /** Holds a consumption of `personId` uncommitted in a separate connection until released. */
    async function holdConsumption(personId: string) {
      const client = new Client({ connectionString: ctx.db.url });
      await client.connect();
      await client.query('BEGIN');
      await client.query(
        `INSERT INTO credit.flows (kind, asset, amount, from_party, to_party, person_id, created_at)
         VALUES ('consumption', 'haiku', 3, $1, 'system:consumed', $2, now())`,
        [personParty(personId), personId],
      );
      return { commit: async () => { await client.query('COMMIT'); await client.end(); } };
    }

    const within = <T>(promise: Promise<T>, ms: number) =>
      Promise.race([promise.then(() => 'done' as const), new Promise<'blocked'>((r) => setTimeout(() => r('blocked'), ms))]);

    it('lets another person\'s turn commit while one person\'s write is open', async () => {
      const holds = ctx.get(HoldsService);
      const slotOf = async (id: string) =>
        (await ctx.db.query<{ s: number }>("SELECT credit.balance_slot('system:consumed', $1) AS s", [id]))[0].s;
      const a = await ctx.fundedPerson();
      let b = await ctx.fundedPerson();
      while ((await slotOf(b.id)) === (await slotOf(a.id))) b = await ctx.fundedPerson();

      const held = await holdConsumption(a.id);
      try {
        const other = chargeTurn(holds, b.id, [{ stage: 'respond', model: 'claude-haiku-4-5-20251001', usage }]);
        expect(await within(other, 5000)).toBe('done');
        // The same person's write does queue behind the open transaction: the check above can tell.
        const same = chargeTurn(holds, a.id, [{ stage: 'respond', model: 'claude-haiku-4-5-20251001', usage }]);
        expect(await within(same, 500)).toBe('blocked');
        await held.commit();
        await same;
      } finally {
        await held.commit().catch(() => undefined);
      }
      expect(await ledger.balance(a.id, 'haiku')).toBe(1000n - 3n - 2n);
      expect(await ledger.balance(b.id, 'haiku')).toBe(1000n - 2n);
    });

    it('spreads system balances over slots and sums them on read', async () => {
      const rows = await ctx.db.query<{ slots: number; total: string }>(
        "SELECT count(*)::int AS slots, sum(amount)::text AS total FROM credit.balances WHERE party = 'system:issuer' AND asset = 'haiku'",
      );
      const [{ sum }] = await ctx.db.query<{ sum: string }>(
        "SELECT (sum(amount) FILTER (WHERE to_party = 'system:issuer') - sum(amount) FILTER (WHERE from_party = 'system:issuer'))::text AS sum FROM credit.flows WHERE asset = 'haiku' AND 'system:issuer' IN (from_party, to_party)",
      );
      expect(rows[0].slots).toBeGreaterThan(1);
      expect(rows[0].total).toBe(sum);
    });
  });
});
