import type { Response } from 'supertest';
import { SystemConfigService } from '@loomworks/system-config';
import { FakeAnthropic } from '../support/fake-anthropic';
import { TestContext, tokenOf, unique, uniqueEmail, type SignedIn } from '../support/test-context';
import { asRuntimeRole } from '../support/test-database';
import { PgCluster } from './support/pg-cluster';

jest.setTimeout(300_000);

/**
 * Issue 24's failover: a primary with a synchronous standby, system-key turns, grants, claims and
 * adjustments under load, SIGKILL of the primary, `pg_ctl promote` of the standby. The app has the
 * multi-host URL and finds the new primary by itself; meanwhile it answers 503 db_unavailable.
 * Clients do what a careful client does: retry an unanswered request with its Idempotency-Key.
 * Afterwards every acknowledged operation is there exactly once and the ledger verifies.
 */
describe('failover to a synchronous standby under load', () => {
  const fake = new FakeAnthropic();
  let clusters: Awaited<ReturnType<typeof PgCluster.primaryAndStandby>>;
  let ctx: TestContext;
  let admin: SignedIn;
  let machineAdminUrl: string;

  beforeAll(async () => {
    clusters = await PgCluster.primaryAndStandby(true);
    await clusters.primary.createRuntimeRole();
    // This suite's databases live on its own primary (createTestDatabase reads this).
    machineAdminUrl = process.env.LW_TEST_ADMIN_URL!;
    process.env.LW_TEST_ADMIN_URL = clusters.primary.url();
    await fake.start();
    const hosts = `127.0.0.1:${clusters.primary.port},127.0.0.1:${clusters.standby.port}`;
    const multiHost = (url: string) => url.replace(/@127\.0\.0\.1:\d+\//, `@${hosts}/`);
    ctx = await TestContext.create({
      realClock: true,
      env: (db) => ({
        DATABASE_URL: multiHost(asRuntimeRole(db.url)),
        DATABASE_MIGRATION_URL: multiHost(db.url),
        ANTHROPIC_BASE_URL: fake.url,
        ANTHROPIC_MAX_RETRIES: '0',
        ANTHROPIC_TIMEOUT_MS: '5000',
        // A turn cut off by the failover leaves its key claimed; a retry may take it over soon.
        IDEMPOTENCY_PENDING_SECONDS: '2',
        OUTBOX_POLL_MS: '0',
        LOG_LEVEL: process.env.LW_INFRA_LOG ?? 'silent',
      }),
    });
    await ctx.get(SystemConfigService).set('anthropic_api_key', 'system-key');
    admin = await ctx.admin();
  });
  afterAll(async () => {
    await ctx?.app.close();
    await fake.stop();
    clusters?.primary.stop();
    clusters?.standby.stop();
    clusters?.cleanUp();
    process.env.LW_TEST_ADMIN_URL = machineAdminUrl;
  });

  /** Sends until answered: a 503, a 409 in-progress key or a dropped connection is retried with the same key. */
  async function acknowledged(send: () => Promise<Response>): Promise<Response> {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const res = await send().catch(() => null);
      const retry = !res || res.status === 503 || (res.status === 409 && res.body.error === 'idempotency_key_in_progress');
      if (!retry) {
        if (res.status >= 300) throw new Error(`unexpected ${res.status}: ${JSON.stringify(res.body)}`);
        return res;
      }
      if (Date.now() > deadline) throw new Error('no answer within 120 s');
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('loses no acknowledged turn, grant, claim or adjustment, applies none twice, and recovers by itself', async () => {
    const http = () => ctx.http();
    const members = await Promise.all([1, 2, 3].map(() => ctx.signedInPerson({ credit: { asset: 'sonnet', amount: 1_000_000n } })));
    const turns: { personId: string; conversationId: string }[] = [];
    const grants: string[] = [];
    const claims: { grantId: string; personId: string }[] = [];
    const adjustments: { flowId: string; key: string }[] = [];
    let running = true;

    const converseLoop = async (who: SignedIn) => {
      while (running) {
        const key = unique('turn');
        const res = await acknowledged(() =>
          http().post(`/engagements/${who.person.personalEngagementId}/converse`).set(ctx.as(who)).set('idempotency-key', key).send({ message: 'What is a ledger?' }),
        );
        turns.push({ personId: who.person.id, conversationId: res.body.conversationId });
      }
    };
    const grantLoop = async () => {
      while (running) {
        const key = unique('grant');
        const res = await acknowledged(() =>
          http().post('/admin/grants').set(ctx.as(admin)).set('idempotency-key', key).send({ recipientEmail: uniqueEmail('failover'), asset: 'haiku', kind: 'welcome', amount: 7 }),
        );
        grants.push(res.body.grant.id);
      }
    };
    const claimLoop = async (who: SignedIn) => {
      while (running) {
        const grant = await acknowledged(() =>
          http().post('/admin/grants').set(ctx.as(admin)).set('idempotency-key', unique('claimable')).send({ recipientEmail: who.email, asset: 'haiku', kind: 'promo', amount: 3, overrideEligibility: true, note: 'failover load' }),
        );
        grants.push(grant.body.grant.id);
        const key = unique('claim');
        await acknowledged(() => http().post('/me/claims').set(ctx.as(who)).set('idempotency-key', key).send({ claimToken: tokenOf(grant.body.claimUrl) }));
        claims.push({ grantId: grant.body.grant.id, personId: who.person.id });
      }
    };
    const adjustLoop = async (who: SignedIn) => {
      while (running) {
        const key = unique('adjust');
        const res = await acknowledged(() =>
          http().post(`/admin/persons/${who.person.id}/adjustments`).set(ctx.as(admin)).set('idempotency-key', key).send({ asset: 'haiku', amount: 2, reason: 'failover' }),
        );
        adjustments.push({ flowId: String(res.body.id), key });
      }
    };
    const load = Promise.all([...members.map(converseLoop), grantLoop(), claimLoop(members[0]), adjustLoop(members[1])]);

    await waitUntil(() => turns.length >= 3 && adjustments.length >= 3 && claims.length >= 2, 60_000, () => ({ turns: turns.length, adjustments: adjustments.length, claims: claims.length }));
    const killedAt = Date.now();
    clusters.primary.kill();
    // The operator's tool (Patroni, pg_auto_failover) would notice and promote; here, a second later.
    await new Promise((r) => setTimeout(r, 1000));
    clusters.standby.promote();
    const promotedAt = Date.now();
    let recoveredAt = 0;
    await waitUntil(async () => (await http().get('/health')).status === 200 && (recoveredAt = Date.now()) > 0, 60_000);
    const before = { turns: turns.length, adjustments: adjustments.length, claims: claims.length };
    await waitUntil(() => turns.length >= before.turns + 3 && adjustments.length > before.adjustments && claims.length > before.claims, 60_000);
    running = false;
    await load;
    process.stdout.write(
      `failover: outage ${((recoveredAt - killedAt) / 1000).toFixed(1)} s from SIGKILL, ${((recoveredAt - promotedAt) / 1000).toFixed(1)} s after promotion; ` +
        `acknowledged ${turns.length} turns, ${grants.length} grants, ${claims.length} claims, ${adjustments.length} adjustments\n`,
    );
    expect(recoveredAt - promotedAt).toBeLessThanOrEqual(30_000);

    // Checked on the promoted standby, directly (not through the app).
    const db = clusters.standby;
    const name = ctx.db.name;
    const q = <T>(sql: string, params: unknown[]) => db.query<T>(sql, params, name);
    const turnRows = await q<{ conversation_id: string; charged: number }>(
      `SELECT t.conversation_id::text, (SELECT count(*)::int FROM credit.flows f WHERE f.idempotency_key IN ('turn:' || t.id || ':classify', 'turn:' || t.id || ':respond')) AS charged
         FROM turns t WHERE t.role = 'assistant' AND t.person_id = ANY($1::uuid[])`,
      [members.map((m) => m.person.id)],
    );
    // Exactly one charged assistant turn per acknowledged turn, and no charged turn nobody was told of.
    expect(turnRows.filter((t) => t.charged > 0).map((t) => t.conversation_id).sort()).toEqual(turns.map((t) => t.conversationId).sort());
    for (const t of turnRows.filter((row) => row.charged > 0)) expect(t.charged).toBe(2);
    const grantRows = await q<{ id: string }>(`SELECT id::text FROM credit.grants WHERE id = ANY($1::uuid[])`, [grants]);
    expect(grantRows.map((g) => g.id).sort()).toEqual([...grants].sort());
    expect(new Set(grants).size).toBe(grants.length);
    const issued = await q<{ n: number }>(`SELECT count(*)::int AS n FROM credit.grants WHERE recipient_email LIKE 'failover.%' OR (recipient_email = $1 AND kind = 'promo')`, [members[0].email]);
    expect(issued).toEqual([{ n: grants.length }]);
    const claimed = await q<{ n: number }>(`SELECT count(*)::int AS n FROM credit.grants WHERE status = 'claimed' AND claimed_by_person_id = $1 AND id = ANY($2::uuid[])`, [members[0].person.id, claims.map((c) => c.grantId)]);
    expect(claimed).toEqual([{ n: claims.length }]);
    const adjusted = await q<{ id: string }>(`SELECT id::text FROM credit.flows WHERE kind = 'adjustment' AND person_id = $1`, [members[1].person.id]);
    expect(adjusted.map((f) => f.id).sort()).toEqual(adjustments.map((a) => a.flowId).sort());
    // Holds of turns cut off mid-flight are not released on a guess: they expire, as after a crash.
    await ctx.expectLedgerConsistent();
  });
});

async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs = 60_000, state: () => object = () => ({})): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met in time: ${JSON.stringify(state())}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
