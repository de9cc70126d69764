import { get, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse } from 'csv-parse/sync';
import { SYSTEM_ISSUER } from '@loomworks/credit';
import { LedgerService, SealerService } from '@loomworks/credit/staff';
import { Transactions } from '@loomworks/database';
import { TestContext, waitFor, type SignedIn } from '../support/test-context';

/**
 * Exports (DESIGN.md "Tamper evidence", API.md `/admin/ledger/export`, `/me/flows.csv`): CSV
 * written by the database (COPY … WITH (FORMAT csv), free text through credit.csv_cell), read back
 * here by csv-parse — commas, quotes and line breaks quoted, formula-like cells neutralised with a
 * leading `'` (OWASP: `=`, `+`, `-`, `@`, tab, carriage return) — streamed from one COPY, so a
 * paused reader holds the export mid-way (Postgres waiting to write) instead of the server reading it all.
 */
describe('exports: GET /admin/ledger/export and /me/flows.csv', () => {
  let ctx: TestContext;
  let admin: SignedIn;
  let member: SignedIn;
  let t0: Date;
  const http = () => ctx.http();

  /** References a spreadsheet must show as text, and the cell the CSV must carry for each. */
  const references: [string, string][] = [
    ['plain-key', 'plain-key'],
    ['with,comma', 'with,comma'],
    ['say "hi"', 'say "hi"'],
    ['line\nbreak', 'line\nbreak'],
    ['=HYPERLINK("http://evil.example","x")', `'=HYPERLINK("http://evil.example","x")`],
    ['+1+2', `'+1+2`],
    ['-2+3', `'-2+3`],
    ['@SUM(A1)', `'@SUM(A1)`],
    ['\tcmd', `'\tcmd`],
    ['\rcmd', `'\rcmd`],
  ];

  const credit = (personId: string, key: string, amount = 1n) =>
    ctx.get(Transactions).run((tx) =>
      ctx.get(LedgerService).writeFlow(tx, { kind: 'adjustment', asset: 'haiku', amount, from: SYSTEM_ISSUER, to: `person:${personId}`, personId, idempotencyKey: key }),
    );

  beforeAll(async () => {
    ctx = await TestContext.create();
    admin = await ctx.admin();
    member = await ctx.signedInPerson({ credit: { asset: 'haiku', amount: 100n } });
    t0 = ctx.clock.now();
    for (const [key] of references) await credit(member.person.id, key);
  });
  afterAll(() => ctx.close());

  const rowsOf = (text: string) => parse(text, { columns: true, relax_quotes: false }) as Record<string, string>[];

  it("streams a member's own flows with quoting and formula injection neutralised", async () => {
    const res = await http().get('/me/flows.csv').set(ctx.as(member)).buffer(true).parse((r, done) => {
      let body = '';
      r.on('data', (c: Buffer) => (body += c.toString('utf8')));
      r.on('end', () => done(null, body));
    });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.headers['content-disposition']).toBe('attachment; filename="flows.csv"');
    const text = res.body as string;
    expect(text.split('\n')[0]).toBe('id,created_at,kind,asset,amount,direction,counterparty,reference');
    const rows = rowsOf(text);
    expect(rows).toHaveLength(1 + references.length); // the claim, then the adjustments, oldest first
    expect(rows[0]).toMatchObject({ kind: 'issuance', asset: 'haiku', amount: '100', direction: 'in', counterparty: SYSTEM_ISSUER, created_at: t0.toISOString() });
    expect(rows.slice(1).map((r) => r.reference)).toEqual(references.map(([, cell]) => cell));
    expect(rows.map((r) => Number(r.id))).toEqual([...rows.map((r) => Number(r.id))].sort((a, b) => a - b));
    // the raw text: quoted where a comma, quote or line break is inside, quotes doubled
    expect(text).toContain(',"with,comma"\n');
    expect(text).toContain(',"say ""hi"""\n');
    expect(text).toContain(',"line\nbreak"\n');
    expect(text).toContain(`,"'=HYPERLINK(""http://evil.example"",""x"")"\n`);
    expect(text).toContain(",'+1+2\n"); // neutralised, and quoted only where a quote is needed
    // another member sees none of them
    const other = await ctx.signedInPerson();
    expect((await http().get('/me/flows.csv').set(ctx.as(other))).text).toBe('id,created_at,kind,asset,amount,direction,counterparty,reference\n');
  });

  it('filters by from (inclusive) and to (exclusive), and refuses a bad range with 400', async () => {
    ctx.clock.advanceSeconds(10);
    const later = ctx.clock.now();
    await credit(member.person.id, 'later-1');
    const after = rowsOf((await http().get('/me/flows.csv').query({ from: later.toISOString() }).set(ctx.as(member))).text);
    expect(after.map((r) => r.reference)).toEqual(['later-1']);
    const before = rowsOf((await http().get('/me/flows.csv').query({ to: later.toISOString() }).set(ctx.as(member))).text);
    expect(before).toHaveLength(1 + references.length);
    for (const bad of [{ from: 'last week' }, { to: '2026-13-01T00:00:00Z' }]) {
      const res = await http().get('/me/flows.csv').query(bad).set(ctx.as(member));
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('validation_failed');
    }
    expect((await http().get('/me/flows.csv')).status).toBe(401);
  });

  it('records each staff export in the audit trail, with its range', async () => {
    const from = new Date(t0.getTime() - 60_000).toISOString();
    await http().get(`/admin/ledger/export?from=${from}`).set(ctx.as(admin)).expect(200);
    const trail = await http().get('/admin/audit?limit=5').set(ctx.as(admin)).expect(200);
    expect(trail.body.items[0]).toMatchObject({ actorPersonId: admin.person.id, action: 'ledger.export', subjectType: 'ledger', subjectId: 'flows', details: { from, to: null } });
  });

  it("gives staff every flow, both parties, and the seal covering each", async () => {
    // two seals, then a flow no seal covers yet: each row's seal found among several, at their boundaries too
    await ctx.get(SealerService).sealOnce();
    await credit(member.person.id, 'between-the-seals');
    await ctx.get(SealerService).sealOnce();
    await credit(member.person.id, 'after-the-seal');
    const res = await http().get('/admin/ledger/export').set(ctx.as(admin));
    expect(res.status).toBe(200);
    expect(res.headers['content-disposition']).toBe('attachment; filename="ledger.csv"');
    expect(res.text.split('\n')[0]).toBe('id,created_at,kind,asset,amount,from_party,to_party,person_id,grant_id,idempotency_key,seal_id');
    const rows = rowsOf(res.text);
    const [{ n }] = await ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM credit.flows');
    expect(rows).toHaveLength(n);
    const seals = await ctx.db.query<{ id: string; from_flow_id: string; to_flow_id: string }>('SELECT id::text, from_flow_id::text, to_flow_id::text FROM credit.seals');
    expect(seals.length).toBeGreaterThanOrEqual(2);
    expect(rows.find((r) => r.idempotency_key === 'between-the-seals')!.seal_id).toBe(seals.find((s) => s.to_flow_id === rows.find((r) => r.idempotency_key === 'between-the-seals')!.id)!.id);
    for (const row of rows) {
      const seal = seals.find((s) => BigInt(s.from_flow_id) < BigInt(row.id) && BigInt(row.id) <= BigInt(s.to_flow_id));
      expect({ id: row.id, seal: row.seal_id }).toEqual({ id: row.id, seal: seal?.id ?? '' });
    }
    expect(rows.at(-1)).toMatchObject({ idempotency_key: 'after-the-seal', seal_id: '', from_party: SYSTEM_ISSUER, to_party: `person:${member.person.id}`, person_id: member.person.id });
    const claim = rows.find((r) => r.kind === 'issuance' && r.person_id === member.person.id)!;
    expect(claim.grant_id).toBe(member.credit!.grantId);
    expect(rows.find((r) => r.idempotency_key.startsWith("'=HYPERLINK"))).toBeDefined();

    const ranged = rowsOf((await http().get('/admin/ledger/export').query({ from: t0.toISOString(), to: new Date(t0.getTime() + 1).toISOString() }).set(ctx.as(admin))).text);
    expect(ranged.every((r) => r.created_at === t0.toISOString())).toBe(true);
    expect(ranged.length).toBeGreaterThanOrEqual(1 + references.length);
    expect((await http().get('/admin/ledger/export').query({ from: 'x' }).set(ctx.as(admin))).status).toBe(400);
    expect((await http().get('/admin/ledger/export').set(ctx.as(member))).status).toBe(403);
  });

  describe('a large export', () => {
    const FLOWS = 120_000;
    let port: number;

    beforeAll(async () => {
      // Flows written in bulk (the balances trigger keeps the books): the export's cost, not the writer's.
      // (the trigger's one balance row updated 120,000 times in one statement is quadratic), then the balances they moved.
      await ctx.db.query(
        `BEGIN;
         ALTER TABLE credit.flows DISABLE TRIGGER flows_apply;
         INSERT INTO credit.flows (kind, asset, amount, from_party, to_party, person_id, idempotency_key, created_at)
           SELECT 'adjustment', 'haiku', 1, 'system:issuer', 'person:${member.person.id}', '${member.person.id}', 'bulk-' || g, '${ctx.clock.now().toISOString()}'
             FROM generate_series(1, ${FLOWS}) g;
         INSERT INTO credit.balances AS b (party, asset, slot, amount)
           VALUES ('person:${member.person.id}', 'haiku', credit.balance_slot('person:${member.person.id}', '${member.person.id}'), ${FLOWS}),
                  ('system:issuer', 'haiku', credit.balance_slot('system:issuer', '${member.person.id}'), -${FLOWS})
           ON CONFLICT (party, asset, slot) DO UPDATE SET amount = b.amount + EXCLUDED.amount;
         ALTER TABLE credit.flows ENABLE TRIGGER flows_apply;
         COMMIT`,
      );
      const server = ctx.app.getHttpServer();
      if (!server.listening) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as AddressInfo).port;
    }, 120_000);

    const open = (path: string) =>
      new Promise<IncomingMessage>((resolve, reject) => get({ host: '127.0.0.1', port, path, headers: ctx.as(admin) }, resolve).on('error', reject));
    /** The API's sessions running an export's COPY; `waiting`: only those blocked until the API takes more of its rows (backpressure). */
    const cursorsOpen = async (waiting = false) =>
      (
        await ctx.db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity
            WHERE pid <> pg_backend_pid() AND query LIKE '%/* flows_export */%' AND state <> 'idle' AND ($1::boolean IS FALSE OR wait_event = 'ClientWrite')`,
          [waiting],
        )
      )[0].n;

    it('holds the COPY mid-way while the reader pauses (backpressure, not the export in memory), and ends it afterwards', async () => {
      const res = await open('/admin/ledger/export');
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-length']).toBeUndefined();
      res.pause();
      await new Promise((resolve) => setTimeout(resolve, 1000));
      // the API stopped reading: Postgres waits to write, mid-way through the rows (the process's
      // memory under a 1 M-flow export is measured by bench/audit.bench.ts, in a process of its own)
      await waitFor(async () => (await cursorsOpen(true)) === 1, 10_000);
      let lines = 0;
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        for (const byte of chunk) if (byte === 0x0a) lines++;
      });
      res.resume();
      await new Promise((resolve) => res.on('end', resolve));
      const [{ n }] = await ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM credit.flows');
      expect(lines).toBe(n + 1 + 1); // the header, each flow, and the line break inside 'line\nbreak'
      expect(bytes).toBeGreaterThan(FLOWS * 100);
      await waitFor(async () => (await cursorsOpen()) === 0, 10_000);
    }, 120_000);

    it('runs one export per person at a time: a second answers 429 rate_limited with Retry-After, others go on', async () => {
      const first = await open('/admin/ledger/export');
      expect(first.statusCode).toBe(200);
      first.pause();
      await waitFor(async () => (await cursorsOpen()) === 1, 10_000);
      try {
        for (const path of ['/admin/ledger/export', '/me/flows.csv']) {
          const refused = await http().get(path).set(ctx.as(admin)).expect(429);
          expect(refused.body.error).toBe('rate_limited');
          expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
        }
        // Another person's export is not held up by it.
        const other = await http().get('/me/flows.csv').set(ctx.as(member)).expect(200);
        expect(other.text.split('\n')[0]).toBe('id,created_at,kind,asset,amount,direction,counterparty,reference');
      } finally {
        first.destroy();
      }
      await waitFor(async () => (await cursorsOpen()) === 0, 20_000);
      await http().get(`/admin/ledger/export?from=${new Date().toISOString()}`).set(ctx.as(admin)).expect(200);
    }, 60_000);

    it('ends the COPY and its transaction (its connection closed) when the reader goes away', async () => {
      const res = await open('/admin/ledger/export');
      expect(res.statusCode).toBe(200);
      // Paused before reading a byte: a reader that consumed some would let the kernel grow its
      // receive buffer (loopback autotuning reaches tens of MB), and the whole export could land in
      // buffers before the COPY ever waits — then there would be no COPY left to end.
      res.pause();
      await waitFor(async () => (await cursorsOpen(true)) === 1, 10_000);
      res.destroy();
      await waitFor(async () => (await cursorsOpen()) === 0, 20_000);
      await ctx.expectLedgerConsistent({ full: true });
    }, 60_000);
  });
});
