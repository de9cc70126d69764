import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { personParty } from '@loomworks/credit';
import { LedgerService, SealerService } from '@loomworks/credit/staff';
import { Scheduler, Transactions } from '@loomworks/database';
import { ReconcilerService } from '@loomworks/operations';
import { LogCapture } from '../support/log-capture';
import { TestContext, type SignedIn } from '../support/test-context';

interface SealRow {
  id: string;
  from_flow_id: string;
  to_flow_id: string;
  flows: number;
  hash: string;
  encoding: number;
}

/** Tamper evidence (DESIGN.md): the sealer, verify?full, the reconciler and the auditor's recipe. */
describe('seals', () => {
  const logs = new LogCapture();
  let ctx: TestContext;
  let sealer: SealerService;
  let ledger: LedgerService;
  let admin: SignedIn;

  beforeAll(async () => {
    ctx = await TestContext.create({ env: { LOG_LEVEL: 'info' }, logStream: logs });
    sealer = ctx.get(SealerService);
    ledger = ctx.get(LedgerService);
    admin = await ctx.admin();
  });
  afterEach(() => ctx.expectLedgerConsistent({ full: true }));
  afterAll(() => ctx.close());

  const seals = () =>
    ctx.db.query<SealRow>('SELECT id::text, from_flow_id::text, to_flow_id::text, flows, hash, encoding FROM credit.seals ORDER BY seals.id');
  const maxFlowId = async () => (await ctx.db.query<{ id: string }>('SELECT max(id)::text AS id FROM credit.flows'))[0].id;
  const sealedThrough = async () => (await ledger.verify()).sealedThrough;

  /** Runs SQL as the table owner with the append-only trigger off (what the tamper cases play). */
  const asOwner = (sql: string) =>
    ctx.db.query(`ALTER TABLE credit.flows DISABLE TRIGGER flows_append_only; ${sql}; ALTER TABLE credit.flows ENABLE TRIGGER flows_append_only`);

  it('covers every committed flow with a contiguous chain, and logs each seal', async () => {
    await ctx.fundedPerson('haiku', 100n);
    await ctx.fundedPerson('sonnet', 250n);
    const written = await sealer.sealOnce();
    expect(written.length).toBeGreaterThan(0);

    const chain = await seals();
    expect(chain.at(-1)!.to_flow_id).toBe(await maxFlowId());
    chain.forEach((seal, i) => {
      expect(seal.id).toBe(String(i + 1));
      expect(seal.from_flow_id).toBe(i === 0 ? '0' : chain[i - 1].to_flow_id);
    });
    const [{ n }] = await ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM credit.flows');
    expect(chain.reduce((sum, s) => sum + s.flows, 0)).toBe(n);

    const logged = logs.entries().filter((e) => e.msg === 'ledger sealed');
    for (const seal of written) {
      expect(logged).toContainEqual(expect.objectContaining({ sealId: seal.id, fromFlowId: seal.fromFlowId, toFlowId: seal.toFlowId, hash: seal.hash }));
    }
    expect(await sealedThrough()).toBe(await maxFlowId());
    // Nothing new: no new seal.
    expect(await sealer.sealOnce()).toEqual([]);
  });

  it('keeps sealing past the tenth seal (ids compared as numbers, not as text)', async () => {
    for (let round = 0; round < 12; round++) {
      await ctx.fundedPerson('haiku', 10n);
      await sealer.sealOnce();
    }
    const chain = await seals();
    expect(chain.length).toBeGreaterThanOrEqual(12);
    chain.forEach((seal, i) => {
      expect(seal.id).toBe(String(i + 1));
      expect(seal.from_flow_id).toBe(i === 0 ? '0' : chain[i - 1].to_flow_id);
    });
    expect(chain.at(-1)!.to_flow_id).toBe(await maxFlowId());
  });

  it('seals a flow that commits late below the horizon exactly once', async () => {
    const early = await ctx.fundedPerson('haiku', 500n);
    const late = await ctx.fundedPerson('haiku', 500n);
    await sealer.sealOnce();
    // Flow N is taken by a transaction that stays open; flow N+1 commits first.
    const open = new Client({ connectionString: ctx.db.url });
    await open.connect();
    let lowId: string;
    try {
      await open.query('BEGIN');
      [{ id: lowId }] = (
        await open.query(
          `INSERT INTO credit.flows (kind, asset, amount, from_party, to_party, person_id, created_at)
           VALUES ('consumption', 'haiku', 11, $1, 'system:consumed', $2, now()) RETURNING id::text AS id`,
          [personParty(early.id), early.id],
        )
      ).rows;
      const after = await ledger.adjust({ personId: late.id, asset: 'haiku', amount: -5n, reason: 'after', actorPersonId: null });
      expect(BigInt(after.id)).toBeGreaterThan(BigInt(lowId));
      await sealer.sealOnce();
      // The seals stop below the open transaction's flow, so the later flow waits too.
      expect(BigInt(await sealedThrough())).toBeLessThan(BigInt(lowId));
      await open.query('COMMIT');
    } finally {
      await open.end();
    }
    await sealer.sealOnce();
    expect(await sealedThrough()).toBe(await maxFlowId());
    const covering = await ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM credit.seals WHERE from_flow_id < $1 AND to_flow_id >= $1', [lowId]);
    expect(covering).toEqual([{ n: 1 }]);
    const [{ sealed, flows }] = await ctx.db.query<{ sealed: number; flows: number }>(
      'SELECT (SELECT sum(flows)::int FROM credit.seals) AS sealed, (SELECT count(*)::int FROM credit.flows) AS flows',
    );
    expect(sealed).toBe(flows);
    expect(await ledger.balance(early.id, 'haiku')).toBe(489n);
  });

  describe('tampering by the table owner', () => {
    /** A flow id that was drawn but never committed (a rolled-back insert), then sealed over. */
    async function sealedGap(personId: string): Promise<string> {
      const client = new Client({ connectionString: ctx.db.url });
      await client.connect();
      await client.query('BEGIN');
      const { rows } = await client.query(
        `INSERT INTO credit.flows (kind, asset, amount, from_party, to_party, person_id, created_at)
         VALUES ('issuance', 'opus', 1, 'system:issuer', $1, $2, now()) RETURNING id::text AS id`,
        [personParty(personId), personId],
      );
      await client.query('ROLLBACK');
      await client.end();
      await ledger.adjust({ personId, asset: 'opus', amount: 1n, reason: 'after the gap', actorPersonId: null });
      return rows[0].id;
    }

    const sealOf = async (flowId: string) =>
      (await ctx.db.query<SealRow>('SELECT id::text, from_flow_id::text, to_flow_id::text FROM credit.seals WHERE from_flow_id < $1 AND to_flow_id >= $1', [flowId]))[0];

    const cases: [string, (f: { id: string; personId: string; gap: string }) => string, (f: { id: string; personId: string; gap: string }) => string][] = [
      [
        'an issuance rewritten from 100 to 999,999, balances fixed to match',
        (f) => `UPDATE credit.flows SET amount = 999999 WHERE id = ${f.id};
                UPDATE credit.balances SET amount = amount + 999899 WHERE party = 'person:${f.personId}' AND asset = 'sonnet';
                UPDATE credit.balances SET amount = amount - 999899 WHERE ctid = (SELECT ctid FROM credit.balances WHERE party = 'system:issuer' AND asset = 'sonnet' LIMIT 1)`,
        (f) => `UPDATE credit.flows SET amount = 100 WHERE id = ${f.id};
                UPDATE credit.balances SET amount = amount - 999899 WHERE party = 'person:${f.personId}' AND asset = 'sonnet';
                UPDATE credit.balances SET amount = amount + 999899 WHERE ctid = (SELECT ctid FROM credit.balances WHERE party = 'system:issuer' AND asset = 'sonnet' LIMIT 1)`,
      ],
      [
        'a flow deleted, balances fixed to match',
        (f) => `CREATE TEMP TABLE gone AS SELECT * FROM credit.flows WHERE id = ${f.id};
                DELETE FROM credit.flows WHERE id = ${f.id};
                UPDATE credit.balances SET amount = amount - 100 WHERE party = 'person:${f.personId}' AND asset = 'sonnet';
                UPDATE credit.balances SET amount = amount + 100 WHERE ctid = (SELECT ctid FROM credit.balances WHERE party = 'system:issuer' AND asset = 'sonnet' LIMIT 1)`,
        (f) => `ALTER TABLE credit.flows DISABLE TRIGGER flows_apply;
                INSERT INTO credit.flows OVERRIDING SYSTEM VALUE SELECT * FROM gone; DROP TABLE gone;
                ALTER TABLE credit.flows ENABLE TRIGGER flows_apply;
                UPDATE credit.balances SET amount = amount + 100 WHERE party = 'person:${f.personId}' AND asset = 'sonnet';
                UPDATE credit.balances SET amount = amount - 100 WHERE ctid = (SELECT ctid FROM credit.balances WHERE party = 'system:issuer' AND asset = 'sonnet' LIMIT 1)`,
      ],
      [
        'a back-dated flow inserted into a sealed range (the balance trigger keeps balances matching)',
        (f) => `INSERT INTO credit.flows (id, kind, asset, amount, from_party, to_party, person_id, created_at)
                OVERRIDING SYSTEM VALUE VALUES (${f.gap}, 'issuance', 'sonnet', 5000, 'system:issuer', 'person:${f.personId}', '${f.personId}', '2026-01-01T00:00:00Z')`,
        (f) => `DELETE FROM credit.flows WHERE id = ${f.gap};
                UPDATE credit.balances SET amount = amount - 5000 WHERE party = 'person:${f.personId}' AND asset = 'sonnet';
                UPDATE credit.balances SET amount = amount + 5000 WHERE ctid = (SELECT ctid FROM credit.balances WHERE party = 'system:issuer' AND asset = 'sonnet' LIMIT 1)`,
      ],
    ];

    it.each(cases)('%s is reported by verify?full and the reconciler', async (_name, tamper, restore) => {
      const person = await ctx.fundedPerson('sonnet', 100n);
      const [{ id }] = await ctx.db.query<{ id: string }>("SELECT id::text FROM credit.flows WHERE to_party = $1 AND kind = 'issuance'", [personParty(person.id)]);
      const gap = await sealedGap(person.id);
      await sealer.sealOnce();
      const target = { id, personId: person.id, gap };
      const broken = await sealOf(_name.startsWith('a back-dated') ? gap : id);

      await asOwner(tamper(target));
      try {
        const http = await ctx.http().get('/admin/ledger/verify?full=true').set(ctx.as(admin)).expect(200);
        expect(http.body).toMatchObject({
          ok: false,
          drift: [],
          unbalancedAssets: [],
          sealBroken: [{ sealId: broken.id, fromFlowId: broken.from_flow_id, toFlowId: broken.to_flow_id }],
          sealedThrough: await maxFlowId(),
        });
        const scheduled = await ctx.get(ReconcilerService).runNow();
        expect(scheduled.findings).toContainEqual({ kind: 'seal_broken', detail: { sealId: broken.id, fromFlowId: broken.from_flow_id, toFlowId: broken.to_flow_id } });
        const full = await ctx.http().post('/admin/reconciliation').set(ctx.as(admin)).send({ full: true }).expect(201);
        expect(full.body.findings).toContainEqual({ kind: 'seal_broken', detail: { sealId: broken.id, fromFlowId: broken.from_flow_id, toFlowId: broken.to_flow_id } });
      } finally {
        // The reconciler folded the tampered flows into the verified sums: start those afresh too.
        await asOwner(`${restore(target)}; DELETE FROM credit.verified_sums; UPDATE credit.verification_checkpoint SET through_flow_id = 0, flows = 0`);
      }
    });

    it('a null told from an empty key and from the nil uuid (encoding 3 marks nulls)', async () => {
      const person = await ctx.fundedPerson('opus', 10n);
      await ledger.adjust({ personId: person.id, asset: 'opus', amount: 1n, reason: 'no key', actorPersonId: null });
      const [flow] = await ctx.db.query<{ id: string }>(
        "SELECT id::text FROM credit.flows WHERE person_id = $1 AND idempotency_key IS NULL AND grant_id IS NULL ORDER BY id DESC LIMIT 1",
        [person.id],
      );
      await sealer.sealOnce();
      const broken = await sealOf(flow.id);
      for (const [set, unset] of [
        ["idempotency_key = ''", 'idempotency_key = NULL'],
        ["grant_id = '00000000-0000-0000-0000-000000000000'", 'grant_id = NULL'],
      ]) {
        await asOwner(`ALTER TABLE credit.flows DISABLE TRIGGER ALL; UPDATE credit.flows SET ${set} WHERE id = ${flow.id}; ALTER TABLE credit.flows ENABLE TRIGGER ALL`);
        try {
          expect((await ledger.verify({ full: true })).sealBroken).toEqual([{ sealId: broken.id, fromFlowId: broken.from_flow_id, toFlowId: broken.to_flow_id }]);
        } finally {
          await asOwner(`UPDATE credit.flows SET ${unset} WHERE id = ${flow.id}`);
        }
      }
    });

    it('a rewritten seal breaks the next one', async () => {
      await ctx.fundedPerson('haiku', 10n);
      await sealer.sealOnce();
      await ctx.fundedPerson('haiku', 20n);
      await sealer.sealOnce();
      const chain = await seals();
      const [previous, last] = chain.slice(-2);
      const forged = 'f'.repeat(64);
      const rewrite = (hash: string) =>
        ctx.db.query(
          `ALTER TABLE credit.seals DISABLE TRIGGER seals_append_only; UPDATE credit.seals SET hash = '${hash}' WHERE id = ${previous.id};
           ALTER TABLE credit.seals ENABLE TRIGGER seals_append_only`,
        );
      await rewrite(forged);
      try {
        const report = await ledger.verify({ full: true });
        // The forged seal fails on its own flows; the next fails on the forged previous hash.
        expect(report.sealBroken.map((b) => b.sealId)).toEqual([previous.id, last.id]);
      } finally {
        await rewrite(previous.hash);
      }
    });

    it('broken seals in several chunks of the recomputation are reported in id order, whichever end a pass starts from', async () => {
      // SealRecomputation takes 8 seals a chunk and alternates the direction of its passes.
      while ((await seals()).length < 3 * 8 + 1) {
        await ctx.fundedPerson('haiku', 10n);
        await sealer.sealOnce();
      }
      const chain = await seals();
      const [early, late] = [chain[1], chain.at(-1)!];
      const flowsOf = (seal: SealRow) => `id = (SELECT max(id) FROM credit.flows WHERE id > ${seal.from_flow_id} AND id <= ${seal.to_flow_id})`;
      // The metadata of a flow under each: the bytes sealed change, no balance does.
      const retag = (metadata: string) => asOwner(`UPDATE credit.flows SET metadata = metadata || '${metadata}' WHERE ${flowsOf(early)} OR ${flowsOf(late)}`);
      await retag('{"tampered": true}');
      try {
        const expected = [early, late].map((s) => ({ sealId: s.id, fromFlowId: s.from_flow_id, toFlowId: s.to_flow_id }));
        expect((await ledger.verify({ full: true })).sealBroken).toEqual(expected);
        expect((await ledger.verify({ full: true })).sealBroken).toEqual(expected);
      } finally {
        await asOwner(`UPDATE credit.flows SET metadata = metadata - 'tampered' WHERE ${flowsOf(early)} OR ${flowsOf(late)}`);
      }
    });
  });

  it('runs as the scheduled job "sealer", every seal_interval_seconds', async () => {
    await ctx.get(Scheduler).runDue();
    expect(await ctx.db.query("SELECT name FROM scheduled_jobs WHERE name = 'sealer'")).toEqual([{ name: 'sealer' }]);
  });

  it('refuses to change or remove a seal', async () => {
    await ctx.fundedPerson();
    await sealer.sealOnce();
    await expect(ctx.db.query('UPDATE credit.seals SET flows = flows')).rejects.toThrow('credit.seals is append-only: UPDATE refused');
    await expect(ctx.db.query('DELETE FROM credit.seals')).rejects.toThrow('credit.seals is append-only: DELETE refused');
    await expect(ctx.db.query('TRUNCATE credit.seals')).rejects.toThrow('credit.seals is append-only: TRUNCATE refused');
    // The API's role can't even try (least privilege): it may only read and append seals.
    const api = new Client({ connectionString: ctx.db.runtimeUrl });
    await api.connect();
    try {
      for (const sql of ['UPDATE credit.seals SET flows = flows', 'DELETE FROM credit.seals', 'ALTER TABLE credit.seals DISABLE TRIGGER seals_append_only']) {
        await expect(api.query(sql)).rejects.toMatchObject({ code: '42501' });
      }
    } finally {
      await api.end();
    }
  });

  it("answers verify's full flag and the reconciler's body, and refuses anything else with 400", async () => {
    const verify = await ctx.http().get('/admin/ledger/verify').set(ctx.as(admin)).expect(200);
    expect(verify.body).toMatchObject({ ok: true, sealBroken: [] });
    expect(typeof verify.body.sealedThrough).toBe('string');
    await ctx.http().get('/admin/ledger/verify?full=false').set(ctx.as(admin)).expect(200);
    expect((await ctx.http().get('/admin/ledger/verify?full=yes').set(ctx.as(admin)).expect(400)).body.error).toBe('validation_failed');
    expect((await ctx.http().post('/admin/reconciliation').set(ctx.as(admin)).send({ full: false }).expect(400)).body.error).toBe('validation_failed');
    await ctx.http().post('/admin/reconciliation').set(ctx.as(admin)).send({}).expect(201);
  });

  /** Runs README's recipe for seal `id`: [computed, stored] as the recipe prints them. */
  const recipe = (id: string) => {
    const readme = readFileSync(join(__dirname, '../../README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Auditing the ledger'));
    const script = /```sh\n([\s\S]*?)```/.exec(section)![1].replace(/^N=\d+$/m, `N=${id}`);
    const output = execFileSync('bash', ['-euo', 'pipefail', '-c', script], { env: { ...process.env, DATABASE_URL: ctx.db.url }, encoding: 'utf8' });
    return output.trim().split('\n');
  };

  /** Flows with the characters an encoding gets wrong: quotes, tabs, a newline, non-ASCII, a nested object. */
  async function awkwardFlows(): Promise<void> {
    const person = await ctx.fundedPerson('opus', 70n);
    await ledger.adjust({ personId: person.id, asset: 'opus', amount: -3n, reason: 'tab\there "quoted", new\nline, Zürich ✓', actorPersonId: null, idempotencyKey: `key,with\ttab ${person.id}` });
    await ctx.get(Transactions).run((tx) =>
      ledger.writeFlow(tx, { kind: 'adjustment', asset: 'opus', amount: 1n, from: 'system:issuer', to: personParty(person.id), personId: person.id, metadata: { n: 1.5, nested: { z: [1, 'ü'] } } }),
    );
  }

  it("recomputes a real seal with the README's psql + sha256sum recipe", async () => {
    await awkwardFlows();
    await sealer.sealOnce();
    const seal = (await seals()).at(-1)!;
    expect(seal.encoding).toBe(3);
    expect(recipe(seal.id)).toEqual([`${seal.hash}  -`, `${seal.hash}  (stored)`]);
  });

  /** A seal's hash over its flows as the sealer wrote it in an older encoding (1 JSON lines, 2 binary records). */
  const olderEncodings: [number, string][] = [
    [
      1,
      `encode(sha256(convert_to(p.hash || E'\\n' || string_agg(json_build_array(f.id, f.kind, f.asset, f.amount, f.from_party, f.to_party,
         f.person_id, f.grant_id, f.idempotency_key, f.metadata, (extract(epoch FROM f.created_at) * 1000000)::bigint)::text || E'\\n', '' ORDER BY f.id), 'UTF8')), 'hex')`,
    ],
    [
      2,
      `encode(sha256(convert_to(p.hash || E'\\n', 'UTF8') || string_agg(record_send(ROW(f.id::bigint, f.kind::text, f.asset::text, f.amount::bigint,
         f.from_party::text, f.to_party::text, f.person_id::uuid, f.grant_id::uuid, f.idempotency_key::text, f.metadata::jsonb,
         f.created_at::timestamptz)), ''::bytea ORDER BY f.id)), 'hex')`,
    ],
  ];

  it.each(olderEncodings)('still verifies the seals of encoding %i, recomputes them with the recipe and catches a change under them', async (encoding, hash) => {
    // A database sealed before encoding 3: its next seal written as the sealer then wrote it.
    await sealer.sealOnce();
    await awkwardFlows();
    const [old] = await ctx.db.query<SealRow>(
      `INSERT INTO credit.seals (id, from_flow_id, to_flow_id, flows, hash, sealed_at, encoding)
       SELECT p.id + 1, p.to_flow_id, m.id, count(*), ${hash}, now(), $1
         FROM (SELECT * FROM credit.seals ORDER BY seals.id DESC LIMIT 1) p, (SELECT max(id) AS id FROM credit.flows) m
         JOIN credit.flows f ON true
        WHERE f.id > p.to_flow_id AND f.id <= m.id
        GROUP BY p.id, p.to_flow_id, p.hash, m.id
       RETURNING id::text, from_flow_id::text, to_flow_id::text, flows, hash, encoding`,
      [encoding],
    );
    expect(old.encoding).toBe(encoding);
    expect(recipe(old.id)).toEqual([`${old.hash}  -`, `${old.hash}  (stored)`]);
    // The chain goes on in encoding 3 after it, and verify?full accepts both.
    await ctx.fundedPerson('haiku', 5n);
    const [next] = await sealer.sealOnce();
    expect(next).toMatchObject({ id: String(BigInt(old.id) + 1n), encoding: 3, fromFlowId: old.to_flow_id });
    expect((await ledger.verify({ full: true })).sealBroken).toEqual([]);

    const [{ id: flowId }] = await ctx.db.query<{ id: string }>('SELECT max(id)::text AS id FROM credit.flows WHERE id <= $1', [old.to_flow_id]);
    const restamp = (shift: string) =>
      asOwner(`UPDATE credit.flows SET created_at = created_at + interval '${shift}' WHERE id = ${flowId}`);
    await restamp('1 microsecond');
    try {
      expect((await ledger.verify({ full: true })).sealBroken).toEqual([{ sealId: old.id, fromFlowId: old.from_flow_id, toFlowId: old.to_flow_id }]);
    } finally {
      await restamp('-1 microsecond');
    }
  });
});
