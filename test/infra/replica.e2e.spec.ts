import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { HoldsService } from '@loomworks/credit/staff';
import { TestContext, type SignedIn } from '../support/test-context';
import { asRuntimeRole } from '../support/test-database';
import { PgCluster } from './support/pg-cluster';

jest.setTimeout(300_000);

/**
 * DATABASE_REPLICA_URL: lag-tolerant reads (history, usage, admin lists, metrics gauges) go to a
 * real streaming replica; money decisions and reads that follow the caller's own write go to the
 * primary. Replay on the replica is paused to make the difference visible: a read that answers
 * without the writes made meanwhile came from the replica.
 */
describe('a streaming read replica', () => {
  let clusters: Awaited<ReturnType<typeof PgCluster.primaryAndStandby>>;
  let ctx: TestContext;
  let admin: SignedIn;
  let machineAdminUrl: string;

  beforeAll(async () => {
    clusters = await PgCluster.primaryAndStandby(false);
    await clusters.primary.createRuntimeRole();
    machineAdminUrl = process.env.LW_TEST_ADMIN_URL!;
    process.env.LW_TEST_ADMIN_URL = clusters.primary.url();
    ctx = await TestContext.create({
      env: (db) => ({ DATABASE_REPLICA_URL: asRuntimeRole(db.url).replace(`:${clusters.primary.port}/`, `:${clusters.standby.port}/`) }),
    });
    admin = await ctx.admin();
    await clusters.primary.waitForReplay(clusters.standby);
  });
  afterAll(async () => {
    await ctx?.close();
    clusters?.primary.stop();
    clusters?.standby.stop();
    clusters?.cleanUp();
    process.env.LW_TEST_ADMIN_URL = machineAdminUrl;
  });

  const http = () => request(ctx.app.getHttpServer());

  it('serves history from the replica, the balance from the primary, and /health shows the lag', async () => {
    const member = await ctx.signedInPerson({ credit: { asset: 'haiku', amount: 100n } });
    await clusters.primary.waitForReplay(clusters.standby);
    expect((await http().get('/health').expect(200)).body).toEqual({ status: 'ok', db: 'up', replica: { lagSeconds: 0 } });
    const historyBefore = (await http().get('/me/flows').set(ctx.as(member)).expect(200)).body.items.length;

    await clusters.standby.query('SELECT pg_wal_replay_pause()');
    try {
      await http().post(`/admin/persons/${member.person.id}/adjustments`).set(ctx.as(admin)).send({ asset: 'haiku', amount: 5, reason: 'replica' }).expect(201);
      // Read-your-own-write: the balance (a money read) comes from the primary at once.
      const credit = await http().get('/me/credit').set(ctx.as(member)).expect(200);
      expect(credit.body.balances).toEqual([expect.objectContaining({ asset: 'haiku', amount: 105 })]);
      // History is a lag-tolerant read: from the replica, which has not replayed the adjustment yet.
      expect((await http().get('/me/flows').set(ctx.as(member)).expect(200)).body.items).toHaveLength(historyBefore);
      // Lag only shows once the primary has written something the replica hasn't replayed.
      await new Promise((r) => setTimeout(r, 1100));
      const health = (await http().get('/health').expect(200)).body;
      expect(health.replica.lagSeconds).toBeGreaterThan(0);
    } finally {
      await clusters.standby.query('SELECT pg_wal_replay_resume()');
    }
    await clusters.primary.waitForReplay(clusters.standby);
    expect((await http().get('/me/flows').set(ctx.as(member)).expect(200)).body.items).toHaveLength(historyBefore + 1);
    await ctx.expectLedgerConsistent();
  });

  /** The reads DESIGN.md calls lag-tolerant (history, usage, admin lists, exports), each with who may make it. */
  const lagTolerant = (member: SignedIn) =>
    [
      ['/me/flows', member],
      ['/me/llm-calls', member],
      ['/me/usage?groupBy=model', member],
      ['/admin/llm-calls', admin],
      ['/admin/usage?groupBy=payer', admin],
      ['/admin/grants', admin],
      ['/admin/audit', admin],
      ['/admin/events', admin],
      ['/admin/mail', admin],
      ['/admin/persons', admin],
      ['/me/flows.csv', member],
      ['/admin/ledger/export', admin],
    ] as const;
  /** The staff export is audited (on the primary): the trail minus the records these reads' own exports write. */
  const withoutOwnExports = (path: string, text: string) => {
    if (path !== '/admin/audit') return text;
    const page = JSON.parse(text) as { items: { action: string }[] };
    return JSON.stringify({ ...page, items: page.items.filter((e) => e.action !== 'ledger.export') });
  };
  const read = async (member: SignedIn) =>
    Object.fromEntries(
      await Promise.all(
        lagTolerant(member).map(async ([path, who]) => [path, withoutOwnExports(path, (await http().get(path).set(ctx.as(who)).expect(200)).text)] as const),
      ),
    );
  /** loomworks_holds_active for haiku, as /metrics shows it (a scrape is reused for up to a second). */
  const activeHoldsGauge = async () => {
    await new Promise((r) => setTimeout(r, 1100));
    const text = (await http().get('/metrics').expect(200)).text;
    return Number(/^loomworks_holds_active\{asset="haiku"\} (\d+)$/m.exec(text)?.[1]);
  };

  it('shows which reads go where: history, usage, admin lists and gauges from the replica; balances and the caller\'s own writes from the primary', async () => {
    const member = await ctx.signedInPerson({ credit: { asset: 'haiku', amount: 100n } });
    await clusters.primary.waitForReplay(clusters.standby);
    const before = await read(member);
    const gaugeBefore = await activeHoldsGauge();

    await clusters.standby.query('SELECT pg_wal_replay_pause()');
    let holdId: string;
    let newcomer: SignedIn;
    try {
      // Writes on the primary, at least one for every lag-tolerant list.
      await http().post(`/admin/persons/${member.person.id}/adjustments`).set(ctx.as(admin)).send({ asset: 'haiku', amount: 5, reason: 'replica' }).expect(201);
      const grant = await http().post('/admin/grants').set(ctx.as(admin)).send({ recipientEmail: `replica.${randomUUID()}@example.com`, asset: 'haiku', kind: 'promo', amount: 5 }).expect(201);
      await http().post(`/admin/grants/${grant.body.grant.id}/revoke`).set(ctx.as(admin)).expect(200);
      await ctx.db.query(
        `INSERT INTO llm_calls (id, source, payer, person_id, key_source, model, status, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, asset, charged, started_at, finished_at)
         VALUES ($1, 'messages', $2, $3, 'system', 'claude-haiku-4-5-20251001', 'ok', 10, 10, 0, 0, 'haiku', 1, now(), now())`,
        [randomUUID(), `person:${member.person.id}`, member.person.id],
      );
      // Mail is off in this suite (nothing is queued), so the mail log's row is written directly.
      await ctx.db.query(
        `INSERT INTO outbox_jobs (id, kind, status, summary, run_at, created_at, finished_at)
         VALUES ($1, 'mail', 'sent', '{"to": "replica@example.com", "template": "grant"}', now(), now(), now())`,
        [randomUUID()],
      );
      newcomer = await ctx.signedInPerson();
      const placed = await ctx.get(HoldsService).place({ personId: member.person.id, turnId: randomUUID(), classify: { inputTokens: 10, maxTokens: 10 }, respond: { inputTokens: 10, maxTokens: 10 } });
      if (placed.status !== 'placed') throw new Error(placed.status);
      holdId = placed.hold.id;

      // Lag-tolerant: every one answers as before the writes (the replica has replayed none of them).
      expect(await read(member)).toEqual(before);
      expect(await activeHoldsGauge()).toBe(gaugeBefore);

      // From the primary: money (the balance with the adjustment and the hold), a person's own
      // record, and a member's read of their own write right after it.
      const credit = (await http().get('/me/credit').set(ctx.as(member)).expect(200)).body;
      expect(credit.holds).toEqual([expect.objectContaining({ id: holdId })]);
      expect((await http().get(`/admin/persons/${newcomer.person.id}`).set(ctx.as(admin)).expect(200)).body.id).toBe(newcomer.person.id);
      const key = await http().post('/me/api-keys').set(ctx.as(member)).send({ name: 'replica' }).expect(201);
      expect((await http().get('/me/api-keys').set(ctx.as(member)).expect(200)).body.items.map((k: { id: string }) => k.id)).toContain(key.body.id);
    } finally {
      await clusters.standby.query('SELECT pg_wal_replay_resume()');
    }
    await clusters.primary.waitForReplay(clusters.standby);
    const after = await read(member);
    for (const [path] of lagTolerant(member)) expect({ path, changed: after[path] !== before[path] }).toEqual({ path, changed: true });
    expect(await activeHoldsGauge()).toBe(gaugeBefore + 1);
    await ctx.get(HoldsService).release(holdId);
    await ctx.expectLedgerConsistent();
  });
});
