import request from 'supertest';
import { TestContext, type SignedIn } from '../support/test-context';
import { asRuntimeRole } from '../support/test-database';
import { PgCluster } from './support/pg-cluster';

jest.setTimeout(300_000);

/**
 * DATABASE_REPLICA_URL: lag-tolerant reads (a member's flow history, admin lists) go to a real
 * streaming replica; money decisions and reads that follow the caller's own write go to the
 * primary. Replay on the replica is paused to make the difference visible.
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
});
