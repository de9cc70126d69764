import { setTimeout as sleep } from 'node:timers/promises';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { generate } from 'otplib';
import { chromium, type Browser, type Page } from 'playwright-core';
import { AdminTokensService } from '@loomworks/auth';
import { GrantsService, LedgerService } from '@loomworks/credit/staff';
import { freePort } from '../support/free-port';
import { createTestApp } from '../support/test-app';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

describe('pages in a browser (passkeys through a virtual authenticator)', () => {
  let db: TestDatabase;
  let app: NestFastifyApplication;
  let browser: Browser;
  let origin: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    const port = await freePort();
    origin = `http://localhost:${port}`;
    app = await createTestApp(db.url, { env: { PUBLIC_ORIGIN: origin, PORT: String(port) } });
    await app.listen({ port, host: '127.0.0.1' });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await app.close();
    await db.drop();
  });

  async function pageWithAuthenticator(): Promise<Page> {
    const page = await browser.newPage();
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });
    return page;
  }

  /** A TOTP code of a step no earlier code used (each step is accepted once). */
  async function freshCode(secret: string, usedStep: number): Promise<string> {
    while (Math.floor(Date.now() / 30_000) <= usedStep) await sleep(500);
    return generate({ secret });
  }

  it('claims a grant: passkey, authenticator app, credit — then signs in on the login page', async () => {
    const email = `browser.${Date.now()}@example.com`;
    const { claimToken } = await app.get(GrantsService).issue({ recipientEmail: email, asset: 'sonnet', kind: 'welcome', amount: 750n });
    const page = await pageWithAuthenticator();

    await page.goto(`${origin}/claim?token=${claimToken}`);
    await page.locator('#grant').waitFor();
    expect(await page.locator('#amount').textContent()).toBe('750');
    expect(await page.locator('#hint').textContent()).toBe('b***@e***.com');
    await page.click('#create-passkey');
    await page.locator('#totp').waitFor();
    expect(await page.locator('#qr svg').count()).toBe(1);
    const secret = (await page.locator('#secret').textContent())!;
    const signupStep = Math.floor(Date.now() / 30_000);
    await page.fill('#code', await generate({ secret }));
    await page.click('#verify');
    await page.locator('#done').waitFor();
    expect(await page.locator('#welcome').textContent()).toContain('750 sonnet credits are yours');
    const [person] = await db.query<{ id: string }>('SELECT id FROM persons WHERE email = $1', [email]);
    expect(await app.get(LedgerService).balance(person.id, 'sonnet')).toBe(750n);

    await page.goto(`${origin}/login`);
    await page.fill('#email', email);
    await page.fill('#code', await freshCode(secret, signupStep));
    await page.click('button[type=submit]');
    await page.locator('#status.ok').waitFor();
    expect(await page.locator('#status').textContent()).toBe(`Signed in as ${email}.`);
    const cookies = await page.context().cookies();
    expect(cookies.find((c) => c.name === 'loomworks_session')).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
  });

  it('lets an admin issue a grant and suspend a person from the admin page', async () => {
    const page = await pageWithAuthenticator();
    const { adminToken } = await app.get(AdminTokensService).create();
    const email = `admin.${Date.now()}@example.com`;
    // The first-admin link that `npm run admin:bootstrap` prints.
    await page.goto(`${origin}/signup?adminToken=${adminToken}`);
    await page.fill('#email', email);
    await page.fill('#name', 'Admin');
    await page.click('#details button[type=submit]');
    await page.locator('#totp').waitFor();
    await page.fill('#code', await generate({ secret: (await page.locator('#secret').textContent())! }));
    await page.click('#verify');
    await page.locator('#done').waitFor();
    expect(await page.locator('#welcome').textContent()).toBe('Welcome, Admin (admin).');
    expect(await page.locator('#next').getAttribute('href')).toBe('/admin');

    await page.goto(`${origin}/admin`);
    await page.locator('#console').waitFor();
    const recipient = `recipient.${Date.now()}@example.com`;
    await page.fill('#recipient', recipient);
    await page.selectOption('#asset', 'haiku');
    await page.fill('#grant-amount', '300');
    await page.click('#issue button[type=submit]');
    await page.locator('#issued.ok').waitFor();
    expect(await page.locator('#issued').textContent()).toContain(`${origin}/claim?token=`);
    expect(await page.locator('#grants tr', { hasText: recipient }).count()).toBe(1);

    await page.fill('#lookup-email', email);
    await page.click('#lookup button[type=submit]');
    await page.locator('#people section').waitFor();
    expect(await page.locator('#people section p').first().textContent()).toContain('admin, active');
    await page.click('#people button:has-text("Suspend")');
    await page.locator('#people section p', { hasText: 'suspended' }).waitFor();
    const [row] = await db.query<{ account_status: string }>('SELECT account_status FROM persons WHERE email = $1', [email]);
    expect(row.account_status).toBe('suspended');
  });
});
