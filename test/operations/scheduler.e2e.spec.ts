import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Scheduler } from '@loomworks/database';
import { LogCapture } from '../support/log-capture';
import { Scrape } from '../support/prometheus';
import { createTestApp } from '../support/test-app';
import { TestContext, unique, waitFor } from '../support/test-context';

const HOUR_MS = 3_600_000;

/**
 * DESIGN "Where the money rules live": background work runs from one scheduler, once per interval
 * across every instance on the database, and every run logs its name and failure. Two app
 * instances share one database here; SCHEDULER_TICK_MS=0 lets the test say when each instance
 * asks for due jobs, and "an hour passing" is the job's row moved back an hour.
 */
describe('the one scheduler, two instances on one database', () => {
  const logs = new LogCapture();
  let ctx: TestContext;
  let second: NestFastifyApplication;
  let schedulers: Scheduler[];

  beforeAll(async () => {
    ctx = await TestContext.create({ env: { SCHEDULER_TICK_MS: '0', LOG_LEVEL: 'debug' }, logStream: logs });
    second = await createTestApp(ctx.db.url, { env: { SCHEDULER_TICK_MS: '0' } });
    schedulers = [ctx.get(Scheduler), second.get(Scheduler)];
  });
  afterAll(async () => {
    await second.close();
    await ctx.close();
  });

  /** Both instances ask at once; answers the names of the jobs they ran, of those named (the app's own outbox.poll is due every second). */
  const bothTick = async (...names: string[]) => (await Promise.all(schedulers.map((s) => s.runDue()))).flat().filter((n) => names.includes(n));
  const tick = async (i: number, name: string) => (await schedulers[i].runDue()).filter((n) => n === name);
  const anHourPasses = (name: string) => ctx.db.query("UPDATE scheduled_jobs SET last_started_at = last_started_at - interval '1 hour' WHERE name = $1", [name]);

  it('holds every background job of the app in one table, none run yet', async () => {
    await bothTick(); // saves the rows; nothing is due an interval after registration
    const rows = await ctx.db.query<{ name: string }>('SELECT name FROM scheduled_jobs ORDER BY name');
    expect(rows.map((r) => r.name)).toEqual(expect.arrayContaining(['auth.housekeeping', 'idempotency.sweep', 'outbox.poll', 'reconciler']));
    expect(await ctx.db.query('SELECT 1 FROM reconciliation_runs')).toEqual([]);
  });

  it('runs a job once per interval across both instances', async () => {
    const name = unique('job');
    const runs: string[] = [];
    // the same job on both instances, slow enough that both ask while it runs
    schedulers.forEach((s, i) => s.every(name, HOUR_MS, () => new Promise((resolve) => setTimeout(() => resolve(runs.push(`instance ${i}`)), 50))));

    expect(await bothTick(name)).toEqual([]); // registered just now: due in an hour
    await anHourPasses(name);
    expect(await bothTick(name)).toEqual([name]);
    expect(runs).toHaveLength(1);
    expect(await bothTick(name)).toEqual([]); // ran just now: due in an hour again
    await anHourPasses(name);
    await bothTick();
    await bothTick();
    expect(runs).toHaveLength(2);
  });

  it('never starts a job while a run of it holds the lease, even when it is due again', async () => {
    const name = unique('job');
    let finish!: () => void;
    let started = 0;
    schedulers.forEach((s) =>
      s.every(name, HOUR_MS, () => {
        started++;
        return new Promise<void>((resolve) => (finish = resolve));
      }),
    );
    expect(await bothTick(name)).toEqual([]);
    await anHourPasses(name);
    const first = schedulers[0].runDue();
    await waitFor(() => started === 1);
    await anHourPasses(name);
    expect(await tick(1, name)).toEqual([]);
    finish();
    expect((await first).filter((n) => n === name)).toEqual([name]);
    expect(started).toBe(1);
    // it is due now (the second hour passed while it ran): what the next tick would run
    await ctx.db.query('UPDATE scheduled_jobs SET last_started_at = now() WHERE name = $1', [name]);
  });

  it('takes over a job whose instance died holding its lease, once the lease lapses', async () => {
    const name = unique('job');
    let runs = 0;
    schedulers[1].every(name, HOUR_MS, async () => runs++);
    await schedulers[1].runDue();
    // as a crashed instance leaves it: started long ago, leased for a while yet
    await ctx.db.query(
      "UPDATE scheduled_jobs SET last_started_at = now() - interval '2 hours', lease_token = gen_random_uuid(), lease_until = now() + interval '30 seconds' WHERE name = $1",
      [name],
    );
    expect(await tick(1, name)).toEqual([]);
    await ctx.db.query("UPDATE scheduled_jobs SET lease_until = now() - interval '1 second' WHERE name = $1", [name]);
    expect(await tick(1, name)).toEqual([name]);
    expect(runs).toBe(1);
  });

  it('logs a failing run with the job name and error, counts it, and still runs the job next time', async () => {
    const name = unique('failing');
    let attempts = 0;
    schedulers[0].every(name, HOUR_MS, async () => {
      attempts++;
      throw new Error(`mailbox unreachable (attempt ${attempts})`);
    });
    await schedulers[0].runDue();
    logs.lines.length = 0;
    await anHourPasses(name);
    expect(await tick(0, name)).toEqual([name]);
    await anHourPasses(name);
    expect(await tick(0, name)).toEqual([name]);
    expect(attempts).toBe(2);
    const failures = logs.entries().filter((e) => String(e.msg).startsWith(`scheduled job ${name} failed`));
    expect(failures.map((e) => [e.level, e.msg])).toEqual([
      [50, `scheduled job ${name} failed: mailbox unreachable (attempt 1)`],
      [50, `scheduled job ${name} failed: mailbox unreachable (attempt 2)`],
    ]);
    const scrape = new Scrape((await ctx.http().get('/metrics').expect(200)).text);
    expect(scrape.value('loomworks_scheduled_runs_total', { job: name, result: 'failed' })).toBe(2);
    expect(scrape.value('loomworks_scheduled_runs_total', { job: name, result: 'ok' })).toBe(0);
  });

  it('logs every run by name (at debug level: the outbox is polled every second)', async () => {
    const name = unique('quiet');
    schedulers[0].every(name, HOUR_MS, async () => undefined);
    await tick(0, name);
    await anHourPasses(name);
    logs.lines.length = 0;
    expect(await tick(0, name)).toEqual([name]);
    const lines = logs.entries().filter((e) => String(e.msg).startsWith(`scheduled job ${name} `));
    expect(lines.map((e) => [e.level, String(e.msg).replace(/\d+ ms$/, 'N ms')])).toEqual([[20, `scheduled job ${name} ran in N ms`]]);
  });

  it('runs an on-demand run after the scheduled one in progress, and postpones the next scheduled run', async () => {
    const name = unique('job');
    const order: string[] = [];
    let finish!: () => void;
    schedulers.forEach((s) => s.every(name, HOUR_MS, () => new Promise<void>((resolve) => (finish = () => resolve(void order.push('scheduled'))))));
    expect(await bothTick(name)).toEqual([]);
    await anHourPasses(name);
    const scheduled = schedulers[0].runDue();
    await waitFor(() => finish !== undefined);
    const onDemand = schedulers[1].exclusive(name, async () => order.push('on demand'));
    await new Promise((resolve) => setTimeout(resolve, 300)); // it waits for the lease meanwhile
    expect(order).toEqual([]);
    finish();
    await Promise.all([scheduled, onDemand]);
    expect(order).toEqual(['scheduled', 'on demand']);
    expect(await bothTick(name)).toEqual([]);
  });
});

describe('the scheduler on its own timer', () => {
  it('keeps the interval by the database clock across instances, one run at a time', async () => {
    const ctx = await TestContext.create({ env: { SCHEDULER_TICK_MS: '20' } });
    const second = await createTestApp(ctx.db.url, { env: { SCHEDULER_TICK_MS: '20' } });
    const runs: { startedAt: number; ran: [number, number] }[] = [];
    try {
      for (const app of [ctx.app, second]) {
        app.get(Scheduler).every('timed', 200, async () => {
          const began = Date.now();
          const [{ at }] = await ctx.db.query<{ at: Date }>("SELECT last_started_at AS at FROM scheduled_jobs WHERE name = 'timed'");
          await new Promise((resolve) => setTimeout(resolve, 30));
          runs.push({ startedAt: at.getTime(), ran: [began, Date.now()] });
        });
      }
      await waitFor(() => runs.length >= 5, 30_000);
    } finally {
      await second.close();
      await ctx.close();
    }
    for (let i = 1; i < runs.length; i++) {
      expect(runs[i].startedAt - runs[i - 1].startedAt).toBeGreaterThanOrEqual(200);
      expect(runs[i].ran[0]).toBeGreaterThanOrEqual(runs[i - 1].ran[1]);
    }
  }, 60_000);
});
