import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { CLOCK } from '@loomworks/common';
import { Transactions } from '@loomworks/database';
import { OutboxWorker } from '@loomworks/notifications';
import { Outbox, OutboxQueue, type MailMessage } from '@loomworks/outbox';
import { TestClock, unique, uniqueEmail } from '../support/test-context';
import { SmtpCatcher } from '../support/smtp-catcher';
import { createTestApp } from '../support/test-app';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

const claimMail = (to: string, token = unique('tok')): MailMessage => ({
  template: 'claim_link',
  to,
  params: { claimUrl: `http://localhost:3000/claim?token=${token}`, asset: 'sonnet', amount: '5000', expiresAt: '2026-07-01T12:00:00.000Z' },
});

describe('outbox and mail worker (real Postgres, real SMTP server)', () => {
  let catcher: SmtpCatcher;
  let db: TestDatabase;
  let clock: TestClock;
  const apps: NestFastifyApplication[] = [];

  /** An app instance on the shared database; the worker is driven by hand (OUTBOX_POLL_MS=0). */
  async function instance(env: Record<string, string> = {}) {
    const app = await createTestApp(db.url, {
      env: { SMTP_URL: catcher.url, OUTBOX_POLL_MS: '0', ...env },
      override: (b) => b.overrideProvider(CLOCK).useValue(clock),
    });
    apps.push(app);
    return { app, outbox: app.get(Outbox), queue: app.get(OutboxQueue), worker: app.get(OutboxWorker), transactions: app.get(Transactions) };
  }

  let main: Awaited<ReturnType<typeof instance>>;

  beforeAll(async () => {
    catcher = await SmtpCatcher.start();
    db = await createTestDatabase();
    clock = new TestClock();
    main = await instance();
  }, 120_000);

  afterAll(async () => {
    for (const app of apps) await app.close();
    await catcher.stop();
    await db.drop();
  });

  beforeEach(async () => {
    catcher.refusing = false;
    // every test starts with an empty queue
    await db.query(`DELETE FROM outbox_jobs`);
  });

  const jobRow = async (id: string) => (await db.query<Record<string, unknown>>('SELECT * FROM outbox_jobs WHERE id = $1', [id]))[0];
  const onlyJob = async () => {
    const rows = await db.query<{ id: string }>('SELECT id FROM outbox_jobs');
    expect(rows).toHaveLength(1);
    return rows[0].id;
  };

  it('queues a mail in the caller’s transaction, encrypted, sends it once with text and HTML parts, then erases the payload', async () => {
    const to = uniqueEmail('claim');
    const mail = claimMail(to, 'secret-claim-token-123');
    const status = await main.transactions.run((tx) => main.outbox.enqueueMail(tx, mail));
    expect(status).toEqual({ status: 'queued' });

    const id = await onlyJob();
    const queued = await jobRow(id);
    expect(queued).toMatchObject({ kind: 'mail', status: 'pending', attempts: 0, summary: { to, template: 'claim_link' } });
    // the claim URL is a credential: never in clear at rest
    expect(JSON.stringify(queued)).not.toContain('secret-claim-token-123');

    expect(await main.worker.drain()).toBe(1);
    const received = catcher.to(to);
    expect(received).toHaveLength(1);
    expect(received[0].subject).toBe('You have Loomworks credit to claim');
    expect(received[0].text).toContain('http://localhost:3000/claim?token=secret-claim-token-123');
    expect(received[0].html).toContain('href="http://localhost:3000/claim?token=secret-claim-token-123"');
    expect(received[0].from).toBe('no-reply@localhost');
    expect(received[0].messageId).toBe(`<${id}@localhost>`);

    expect(await jobRow(id)).toMatchObject({ status: 'sent', attempts: 1, payload_encrypted: null, last_error: null });
    expect((await jobRow(id)).finished_at).toEqual(clock.now());
    // nothing is due any more: a second drain sends nothing
    expect(await main.worker.drain()).toBe(0);
    expect(catcher.to(to)).toHaveLength(1);
  });

  it('queues nothing when the transaction rolls back, so no mail is sent for it', async () => {
    const to = uniqueEmail('rollback');
    await expect(
      main.transactions.run(async (tx) => {
        await main.outbox.enqueueMail(tx, claimMail(to));
        throw new Error('the cause failed');
      }),
    ).rejects.toThrow('the cause failed');
    expect(await db.query('SELECT id FROM outbox_jobs')).toHaveLength(0);
    expect(await main.worker.drain()).toBe(0);
    expect(catcher.to(to)).toHaveLength(0);
  });

  it('records an event in the caller’s transaction, and none when it rolls back', async () => {
    const recorded = await main.transactions.run((tx) => main.outbox.recordEvent(tx, { type: 'grant.issued', data: { grantId: 'g-1', amount: 5000 } }));
    expect(recorded).toMatchObject({ type: 'grant.issued', timestamp: clock.now(), data: { grantId: 'g-1', amount: 5000 } });
    expect(await db.query('SELECT type, data FROM events WHERE id = $1', [recorded.id])).toEqual([{ type: 'grant.issued', data: { grantId: 'g-1', amount: 5000 } }]);

    let rolledBackId = '';
    await main.transactions
      .run(async (tx) => {
        rolledBackId = (await main.outbox.recordEvent(tx, { type: 'grant.revoked', data: {} })).id;
        throw new Error('abort');
      })
      .catch(() => undefined);
    expect(await db.query('SELECT id FROM events WHERE id = $1', [rolledBackId])).toEqual([]);
  });

  it('keeps a refused mail queued, retries it with exponential backoff, and sends it exactly once when the server accepts', async () => {
    const to = uniqueEmail('refused');
    await main.transactions.run((tx) => main.outbox.enqueueMail(tx, claimMail(to)));
    const id = await onlyJob();
    const start = clock.now().getTime();

    catcher.refusing = true;
    expect(await main.worker.drain()).toBe(1);
    let row = await jobRow(id);
    expect(row).toMatchObject({ status: 'pending', attempts: 1 });
    expect(String(row.last_error)).toContain('451');
    expect(row.payload_encrypted).not.toBeNull();
    expect((row.run_at as Date).getTime()).toBe(start + 30_000);

    // not due before its backoff ends
    clock.set(new Date(start + 29_000));
    expect(await main.worker.drain()).toBe(0);

    clock.set(new Date(start + 30_000));
    expect(await main.worker.drain()).toBe(1);
    row = await jobRow(id);
    expect(row).toMatchObject({ status: 'pending', attempts: 2 });
    // the second wait doubles
    expect((row.run_at as Date).getTime()).toBe(start + 30_000 + 60_000);

    catcher.refusing = false;
    clock.set(new Date(start + 90_000));
    expect(await main.worker.drain()).toBe(1);
    expect(await jobRow(id)).toMatchObject({ status: 'sent', attempts: 3, payload_encrypted: null });
    expect(catcher.to(to)).toHaveLength(1);
    clock.set(new Date(start + 10 * 3_600_000));
    expect(await main.worker.drain()).toBe(0);
    expect(catcher.to(to)).toHaveLength(1);
  });

  it('keeps mail queued while the SMTP server is down and sends it once it is back', async () => {
    const to = uniqueEmail('down');
    await catcher.pause();
    try {
      await main.transactions.run((tx) => main.outbox.enqueueMail(tx, claimMail(to)));
      expect(await main.worker.drain()).toBe(1);
      const row = await jobRow(await onlyJob());
      expect(row).toMatchObject({ status: 'pending', attempts: 1 });
      expect(String(row.last_error)).toMatch(/ECONNREFUSED|ESOCKET|ECONNECTION/);
    } finally {
      await catcher.resume();
    }
    clock.set(new Date(clock.now().getTime() + 30_000));
    expect(await main.worker.drain()).toBe(1);
    expect(catcher.to(to)).toHaveLength(1);
    expect(await jobRow(await onlyJob())).toMatchObject({ status: 'sent', attempts: 2 });
  });

  it('gives a mail up after its last attempt and erases its payload', async () => {
    const to = uniqueEmail('given-up');
    await main.transactions.run((tx) => main.outbox.enqueueMail(tx, claimMail(to)));
    const id = await onlyJob();
    catcher.refusing = true;
    for (let attempt = 1; attempt <= 12; attempt++) {
      expect(await main.worker.drain()).toBe(1);
      clock.set(new Date(clock.now().getTime() + 3_600_000)); // past any backoff (capped at an hour)
    }
    expect(await jobRow(id)).toMatchObject({ status: 'failed', attempts: 12, payload_encrypted: null });
    expect(String((await jobRow(id)).last_error)).toContain('451');
    catcher.refusing = false;
    expect(await main.worker.drain()).toBe(0);
    expect(catcher.to(to)).toHaveLength(0);
  });

  it('gives a job whose worker died back to the queue when its lease ends, not before', async () => {
    const to = uniqueEmail('crashed');
    await main.transactions.run((tx) => main.outbox.enqueueMail(tx, claimMail(to)));
    // a worker claims it and dies before sending (nothing else happens)
    const [claimed] = await main.queue.claimDue(['mail'], 10, 300_000);
    expect(claimed.attempt).toBe(1);

    expect(await main.worker.drain()).toBe(0);
    clock.set(new Date(clock.now().getTime() + 300_000));
    expect(await main.worker.drain()).toBe(1);
    expect(catcher.to(to)).toHaveLength(1);
    // the dead worker's late outcome can't overwrite the newer claim's
    expect(await main.queue.retryLater(claimed, 'late', 1000)).toBe(false);
    expect(await jobRow(claimed.id)).toMatchObject({ status: 'sent', attempts: 2 });
  });

  it('two workers draining one database at once never send one mail twice', async () => {
    const second = await instance();
    const recipients = Array.from({ length: 30 }, (_, i) => uniqueEmail(`shared${i}`));
    await main.transactions.run(async (tx) => {
      for (const to of recipients) await main.outbox.enqueueMail(tx, claimMail(to));
    });
    const [a, b] = await Promise.all([main.worker.drain(), second.worker.drain()]);
    expect(a + b).toBe(30);
    for (const to of recipients) expect(catcher.to(to)).toHaveLength(1);
    const rows = await db.query<{ status: string; attempts: number }>('SELECT status, attempts FROM outbox_jobs');
    expect(rows.every((r) => r.status === 'sent' && r.attempts === 1)).toBe(true);
  }, 120_000); // starts a second app instance

  it('lists jobs for staff without their payloads', async () => {
    const to = uniqueEmail('listed');
    await main.transactions.run((tx) => main.outbox.enqueueMail(tx, claimMail(to, 'listed-secret')));
    const [job] = await main.queue.list({ kind: 'mail', limit: 10 });
    expect(job).toEqual({
      id: expect.any(String),
      kind: 'mail',
      status: 'pending',
      summary: { to, template: 'claim_link' },
      attempts: 0,
      lastError: null,
      createdAt: clock.now(),
      finishedAt: null,
    });
    expect(JSON.stringify(job)).not.toContain('listed-secret');
    expect(await main.queue.backlog()).toEqual({ pending: 1, oldestAgeSeconds: 0, overdueSeconds: 0 });
    // Nobody drained it for 90 s: it is that old and has been due that long.
    clock.set(new Date(clock.now().getTime() + 90_000));
    expect(await main.queue.backlog()).toEqual({ pending: 1, oldestAgeSeconds: 90, overdueSeconds: 90 });
  });

  it('with mail off (no SMTP_URL) queues nothing and says so', async () => {
    const off = await instance({ SMTP_URL: '' });
    const status = await off.transactions.run((tx) => off.outbox.enqueueMail(tx, claimMail(uniqueEmail('off'))));
    expect(status).toEqual({ status: 'off' });
    expect(await db.query('SELECT id FROM outbox_jobs')).toHaveLength(0);
    expect(off.outbox.mailEnabled).toBe(false);
  }, 120_000); // starts another app instance
});
