import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Transactions } from '@loomworks/database';
import { OutboxWorker } from '@loomworks/notifications';
import { Outbox } from '@loomworks/outbox';
import { uniqueEmail } from '../support/test-context';
import { spawnServer, waitForListening } from '../support/server-process';
import { SmtpCatcher } from '../support/smtp-catcher';
import { createTestApp } from '../support/test-app';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

/**
 * A worker killed (SIGKILL) while its SMTP server is receiving the mail: nothing was recorded,
 * so when the dead worker's lease ends another instance claims the job and sends it, once.
 */
describe('an outbox worker killed in the middle of sending', () => {
  let catcher: SmtpCatcher;
  let db: TestDatabase;
  let app: NestFastifyApplication | undefined;

  beforeAll(async () => {
    catcher = await SmtpCatcher.start();
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await app?.close();
    await catcher.stop();
    await db.drop();
  });

  it('loses no mail: it is sent by the next worker once the lease ends', async () => {
    const to = uniqueEmail('crash');
    // queue the mail from an instance that runs no worker
    const writer = await createTestApp(db.url, { env: { SMTP_URL: catcher.url, OUTBOX_POLL_MS: '0' } });
    await writer.get(Transactions).run((tx) =>
      writer.get(Outbox).enqueueMail(tx, { template: 'signup_code', to, params: { code: '123456', expiresAt: new Date(Date.now() + 600_000).toISOString() } }),
    );
    await writer.close();

    catcher.holding = true;
    const server = spawnServer({
      DATABASE_URL: db.url,
      LOOMWORKS_SECRET_KEY: process.env.LOOMWORKS_SECRET_KEY,
      PUBLIC_ORIGIN: 'http://localhost:3000',
      PORT: '0',
      LOG_LEVEL: 'error',
      SMTP_URL: catcher.url,
      OUTBOX_POLL_MS: '100',
      OUTBOX_LEASE_SECONDS: '3',
    });
    await waitForListening(server, 120_000);
    await catcher.held(to);
    server.child.kill('SIGKILL');
    expect(await server.exited).toEqual({ code: null, signal: 'SIGKILL' });
    catcher.holding = false;

    const [job] = await db.query<{ status: string; attempts: number }>('SELECT status, attempts FROM outbox_jobs');
    expect(job).toEqual({ status: 'pending', attempts: 1 });
    expect(catcher.to(to)).toHaveLength(0);

    // Another instance (wall clock, polling) takes it over once the dead worker's leases ended:
    // the job's (3 s), and the scheduler's on the outbox.poll run it died in (a minute, libs/database
    // scheduler.ts) — so the mail comes ~60 s after the kill, and the wait allows for a slow machine.
    app = await createTestApp(db.url, { env: { SMTP_URL: catcher.url, OUTBOX_POLL_MS: '200', OUTBOX_LEASE_SECONDS: '3' } });
    const mail = await catcher.waitFor(to, 120_000);
    expect(mail.text).toContain('123456');
    await app.get(OutboxWorker).drain();
    expect(catcher.to(to)).toHaveLength(1);
    expect(await db.query('SELECT status, attempts, payload_encrypted FROM outbox_jobs')).toEqual([{ status: 'sent', attempts: 2, payload_encrypted: null }]);
  }, 240_000);
});
