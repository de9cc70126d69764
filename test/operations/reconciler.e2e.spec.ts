import { randomUUID } from 'node:crypto';
import { personParty } from '@loomworks/credit';
import { HoldsService } from '@loomworks/credit/staff';
import { Transactions } from '@loomworks/database';
import { OutboxWorker } from '@loomworks/notifications';
import { Outbox } from '@loomworks/outbox';
import { ReconcilerService } from '@loomworks/operations';
import { SystemConfigService } from '@loomworks/system-config';
import { TestContext, type SignedIn } from '../support/test-context';
import { LogCapture } from '../support/log-capture';
import { Scrape } from '../support/prometheus';
import { createTestApp } from '../support/test-app';

describe('reconciler', () => {
  const logs = new LogCapture();
  let ctx: TestContext;
  let admin: SignedIn;
  let member: SignedIn;

  beforeAll(async () => {
    // No background outbox worker: runs drain it first, except where a test wants it stalled.
    ctx = await TestContext.create({ env: { LOG_LEVEL: 'error', OUTBOX_POLL_MS: '0' }, logStream: logs });
    admin = await ctx.admin();
    member = await ctx.signedInPerson({ credit: { asset: 'opus', amount: 400n } });
  });
  afterEach(() => ctx.expectLedgerConsistent());
  afterAll(() => ctx.close());

  const drain = () => ctx.get(OutboxWorker).drain();
  const runStalled = () => ctx.http().post('/admin/reconciliation').set(ctx.as(admin));
  const runNow = async () => {
    await drain();
    return runStalled().expect(201);
  };
  // No METRICS_TOKEN in this ctx: /metrics is open.
  const findings = async (kind: string) =>
    new Scrape((await ctx.http().get('/metrics').expect(200)).text).value('loomworks_reconciler_findings_total', { kind });
  /** The ledger.drift events a run raised (one per finding, all at one time), by kind. */
  const driftEvents = async (runId: string) =>
    ((await ctx.http().get('/admin/events?type=ledger.drift&limit=200').set(ctx.as(admin)).expect(200)).body.items as { data: { runId: string; kind: string } }[])
      .filter((e) => e.data.runId === runId)
      .sort((a, b) => a.data.kind.localeCompare(b.data.kind));
  const placeHold = async (personId: string) => {
    const placed = await ctx.get(HoldsService).place({
      personId, turnId: randomUUID(), classify: { inputTokens: 200, maxTokens: 10 }, respond: { inputTokens: 300, maxTokens: 1024 },
    });
    if (placed.status !== 'placed') throw new Error(`hold not placed: ${placed.status}`);
    return placed.hold;
  };

  it('answers 404 reconciliation_not_found before the first run, and admins only', async () => {
    const res = await ctx.http().get('/admin/reconciliation').set(ctx.as(admin)).expect(404);
    expect(res.body).toEqual({ statusCode: 404, error: 'reconciliation_not_found', message: expect.any(String) });
    await ctx.http().get('/admin/reconciliation').set(ctx.as(member)).expect(403);
    await ctx.http().post('/admin/reconciliation').set(ctx.as(member)).expect(403);
    await ctx.http().post('/admin/reconciliation').expect(401);
  });

  it('gives ok on a clean ledger, stores the run and shows it as the latest', async () => {
    const run = await runNow();
    expect(run.body).toEqual({
      id: expect.any(String),
      trigger: 'manual',
      startedAt: expect.any(String),
      finishedAt: expect.any(String),
      ok: true,
      findings: [],
    });
    expect((await ctx.http().get('/admin/reconciliation').set(ctx.as(admin)).expect(200)).body).toEqual(run.body);
    expect(await driftEvents(run.body.id)).toEqual([]);
  });

  it('finds a corrupted balance row: a finding, a ledger.drift event, an error log line and a metric', async () => {
    const party = personParty(member.person.id);
    const before = await findings('balance_drift');
    logs.lines.length = 0;
    await ctx.db.query("UPDATE credit.balances SET amount = amount + 25 WHERE party = $1 AND asset = 'opus'", [party]);
    try {
      const run = await runNow();
      expect(run.body.ok).toBe(false);
      expect(run.body.findings).toEqual([
        { kind: 'balance_drift', detail: { party, asset: 'opus', balance: '425', sumOfFlows: '400' } },
        { kind: 'unbalanced_asset', detail: { asset: 'opus', sum: '25' } },
      ]);
      expect(await findings('balance_drift')).toBe(before + 1);
      expect(await findings('unbalanced_asset')).toBeGreaterThanOrEqual(1);
      const errors = logs.entries().filter((e) => e.msg === 'reconciler finding: balance_drift');
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({ level: 50, runId: run.body.id, finding: { kind: 'balance_drift', detail: { party } } });
      expect((await driftEvents(run.body.id)).map((e) => e.data)).toEqual([
        { runId: run.body.id, ...run.body.findings[0] },
        { runId: run.body.id, ...run.body.findings[1] },
      ]);
    } finally {
      await ctx.db.query("UPDATE credit.balances SET amount = amount - 25 WHERE party = $1 AND asset = 'opus'", [party]);
    }
    expect((await runNow()).body.ok).toBe(true);
  });

  it('finds a system-key assistant turn without its consumption', async () => {
    const conversationId = randomUUID();
    const turnId = randomUUID();
    const personId = member.person.id;
    const now = new Date();
    // As if the turn's flows had been lost: the turn is there, no `turn:<id>:*` flow is.
    await ctx.db.query('INSERT INTO conversations (id, engagement_id, started_by, title, created_at, last_turn_at) VALUES ($1, $2, $3, $4, $5, $5)', [
      conversationId, member.person.personalEngagementId, personId, 'lost charges', now,
    ]);
    await ctx.db.query(
      `INSERT INTO turns (id, conversation_id, seq, role, content, person_id, key_source, created_at)
       VALUES ($1, $2, 1, 'user', 'hi', $3, NULL, $4), ($5, $2, 2, 'assistant', 'hello', $3, 'system', $4),
              ($6, $2, 3, 'assistant', 'own key, never charged', $3, 'person', $4)`,
      [randomUUID(), conversationId, personId, now, turnId, randomUUID()],
    );
    const before = await findings('turn_without_consumption');
    try {
      const run = await runNow();
      expect(run.body.findings).toEqual([{ kind: 'turn_without_consumption', detail: { turnId, personId } }]);
      expect(await findings('turn_without_consumption')).toBe(before + 1);
      expect((await driftEvents(run.body.id)).map((e) => e.data)).toEqual([{ runId: run.body.id, kind: 'turn_without_consumption', detail: { turnId, personId } }]);
    } finally {
      await ctx.db.query('DELETE FROM turns WHERE conversation_id = $1', [conversationId]);
      await ctx.db.query('DELETE FROM conversations WHERE id = $1', [conversationId]);
    }
  });

  it('releases a hold whose turn never settled once it expired: a finding, an event and a metric', async () => {
    const hold = await placeHold(member.person.id);
    const holds = ctx.get(HoldsService);
    expect((await runNow()).body.ok).toBe(true); // not expired yet: left alone
    expect((await holds.byId(hold.id))!.status).toBe('active');
    const before = await findings('expired_holds_released');
    ctx.clock.set(new Date(hold.expiresAt.getTime() + 1000));
    const run = await runNow();
    expect(run.body.findings).toEqual([{ kind: 'expired_holds_released', detail: { released: 1 } }]);
    expect((await holds.byId(hold.id))!.status).toBe('expired');
    expect(await holds.activeHolds(member.person.id)).toEqual([]);
    expect(await findings('expired_holds_released')).toBe(before + 1);
    expect((await driftEvents(run.body.id)).map((e) => e.data)).toEqual([{ runId: run.body.id, kind: 'expired_holds_released', detail: { released: 1 } }]);
    expect((await runNow()).body.ok).toBe(true);
  });

  it('checks system:held against the active holds', async () => {
    const hold = await placeHold(member.person.id);
    const before = await findings('held_mismatch');
    await ctx.db.query('UPDATE credit.holds SET amount = amount + 3 WHERE id = $1', [hold.id]);
    try {
      const run = await runNow();
      expect(run.body.findings).toEqual([
        { kind: 'held_mismatch', detail: { asset: hold.asset, held: String(hold.amount), activeHolds: String(hold.amount + 3n) } },
      ]);
      expect(await findings('held_mismatch')).toBe(before + 1);
      expect(await driftEvents(run.body.id)).toHaveLength(1);
    } finally {
      await ctx.db.query('UPDATE credit.holds SET amount = amount - 3 WHERE id = $1', [hold.id]);
      await ctx.get(HoldsService).release(hold.id);
    }
  });

  it('finds an outbox nobody drains: a due job waiting longer than five minutes', async () => {
    await drain();
    await ctx.get(Transactions).run((tx) => ctx.get(Outbox).recordEvent(tx, { type: 'grant.revoked', data: { grantId: 'g-stalled' } }));
    ctx.clock.advanceSeconds(299);
    expect((await runStalled().expect(201)).body.findings).toEqual([]);
    ctx.clock.advanceSeconds(2);
    const before = await findings('outbox_overdue');
    const run = await runStalled().expect(201);
    // only the recorded event's job is pending: created 301 s ago, due ever since
    expect(run.body.findings).toEqual([{ kind: 'outbox_overdue', detail: { pending: 1, oldestAgeSeconds: 301, overdueSeconds: 301 } }]);
    expect(await findings('outbox_overdue')).toBe(before + 1);
    expect(await driftEvents(run.body.id)).toHaveLength(1);
    expect((await runNow()).body.ok).toBe(true); // drained
  });

  it('queues concurrent on-demand runs on the lock: each completes and is stored', async () => {
    const reconciler = ctx.get(ReconcilerService);
    const runs = await Promise.all([reconciler.runNow(), reconciler.runNow(), reconciler.runNow()]);
    expect(runs.map((r) => r.ok)).toEqual([true, true, true]);
    const stored = await ctx.db.query('SELECT id FROM reconciliation_runs WHERE id = ANY($1)', [runs.map((r) => r.id)]);
    expect(stored).toHaveLength(3);
  });
});

describe('reconciler schedule across two instances', () => {
  it("runs every reconcile_interval_seconds as the scheduler's job, one instance at a time", async () => {
    const ctx = await TestContext.create({ realClock: true });
    await ctx.get(SystemConfigService).set('reconcile_interval_seconds', 1);
    // Two more instances on the same database, whose schedules start with the 1 s interval.
    const instances = [await createTestApp(ctx.db.url), await createTestApp(ctx.db.url)];
    try {
      const deadline = Date.now() + 60_000;
      let rows: { trigger: string; started_at: Date; finished_at: Date }[] = [];
      // Each claim stamps the job's row with the database's clock; polled more often than the
      // interval, every claim is seen. (A run's own started_at comes a moment after its claim, and
      // on a busy machine that moment varies by hundreds of ms: the interval is judged by claims.)
      // Runs may have piled up while the instances started (seconds on a loaded machine), so the
      // loop waits for three claims of its own too.
      const claims = new Set<number>();
      while ((rows.length < 3 || claims.size < 3) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        const [job] = await ctx.db.query<{ at: string }>("SELECT (extract(epoch FROM last_started_at) * 1e6)::bigint::text AS at FROM scheduled_jobs WHERE name = 'reconciler'");
        if (job) claims.add(Number(job.at));
        rows = await ctx.db.query('SELECT trigger, started_at, finished_at FROM reconciliation_runs ORDER BY started_at');
      }
      expect(rows.length).toBeGreaterThanOrEqual(3);
      expect(rows.every((r) => r.trigger === 'schedule')).toBe(true);
      // one at a time: a run starts after the previous one finished, whichever instance ran it
      for (let i = 1; i < rows.length; i++) expect(rows[i].started_at.getTime()).toBeGreaterThanOrEqual(rows[i - 1].finished_at.getTime());
      // and never sooner than the interval after the previous claim (µs, by the database's clock)
      const at = [...claims].sort((a, b) => a - b);
      expect(at.length).toBeGreaterThanOrEqual(3);
      for (let i = 1; i < at.length; i++) expect(at[i] - at[i - 1]).toBeGreaterThanOrEqual(1_000_000);
    } finally {
      for (const app of instances) await app.close();
      await ctx.close();
    }
  }, 90_000);
});
