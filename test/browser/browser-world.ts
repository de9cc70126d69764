import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { source as axeSource } from 'axe-core';
import { generate } from 'otplib';
import { chromium, type Browser, type CDPSession, type Page } from 'playwright-core';
import { AdminTokensService } from '@loomworks/auth';
import type { Env } from '@loomworks/config';
import { freePort } from '../support/free-port';
import { SoftAuthenticator } from '../support/soft-authenticator';
import { TestContext, uniqueEmail } from '../support/test-context';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = join(__dirname, 'screenshots');
const STEP = 30;

/** A person signed up over HTTP with a software passkey; their TOTP steps are tracked so each code is fresh. */
export interface Person {
  id: string;
  email: string;
  displayName: string;
  sessionToken: string;
  totpSecret: string;
  lastStep: number;
  personalEngagementId: string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the API's JSON answers, read field by field
type Json = Record<string, any>;

const currentStep = () => Math.floor(Date.now() / 1000 / STEP);

/**
 * One server (the test context's app listening on a free port, real clock) and one Chromium per
 * test file: pages are cheap, browsers and apps are not.
 */
export class BrowserWorld {
  private constructor(
    readonly ctx: TestContext,
    readonly browser: Browser,
    readonly origin: string,
  ) {}

  get db() {
    return this.ctx.db;
  }

  get app() {
    return this.ctx.app;
  }

  static async start(env: Env = {}): Promise<BrowserWorld> {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install chromium, or set CHROMIUM_PATH`);
    const port = await freePort();
    const origin = `http://localhost:${port}`;
    const ctx = await TestContext.create({ realClock: true, env: { PUBLIC_ORIGIN: origin, PORT: String(port), ...env } });
    await ctx.app.listen({ port, host: '127.0.0.1' });
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    mkdirSync(SHOTS, { recursive: true });
    return new BrowserWorld(ctx, browser, origin);
  }

  async close(): Promise<void> {
    await this.browser?.close();
    await this.ctx.close();
  }

  /** A fresh browser context (no cookies) at a width, with a virtual passkey authenticator (CDP). */
  async page(options: { width?: number; height?: number; authenticator?: boolean } = {}): Promise<{ page: Page; cdp: CDPSession; authenticatorId?: string }> {
    const context = await this.browser.newContext({ viewport: { width: options.width ?? 1280, height: options.height ?? 900 }, baseURL: this.origin });
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    const cdp = await context.newCDPSession(page);
    const authenticatorId = options.authenticator === false ? undefined : await addAuthenticator(cdp);
    return { page, cdp, authenticatorId };
  }

  /** Signs a person in in the page's context by setting the session cookie the login would set. */
  async signIn(page: Page, person: Person): Promise<void> {
    await page.context().addCookies([{ name: 'loomworks_session', value: person.sessionToken, url: this.origin, httpOnly: true, sameSite: 'Lax' }]);
  }

  /** A TOTP code of a step after every one this person used (each step is accepted once), waiting only when it must. */
  async code(person: Pick<Person, 'totpSecret' | 'lastStep'>): Promise<string> {
    const step = Math.max(person.lastStep + 1, currentStep());
    while (step > currentStep() + 1) await sleep(500);
    person.lastStep = step;
    return generate({ secret: person.totpSecret, epoch: step * STEP });
  }

  async post(path: string, body: unknown, token?: string): Promise<Json> {
    const res = await fetch(`${this.origin}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) },
      body: JSON.stringify(body),
    });
    const json = (await res.json()) as Json;
    if (!res.ok) throw new Error(`${path} → ${res.status} ${JSON.stringify(json)}`);
    return json;
  }

  /** Signs up over HTTP (software passkey), claiming a grant when given; `admin` makes an admin. */
  async person(options: { grant?: { asset: string; amount: number }; admin?: boolean; email?: string; displayName?: string } = {}): Promise<Person> {
    const email = options.email ?? uniqueEmail(options.admin ? 'staff' : 'member');
    const displayName = options.displayName ?? (options.admin ? 'Staff' : 'Member');
    let claimToken: string | undefined;
    let begun: Json;
    if (options.grant) {
      claimToken = (await this.grant(email, options.grant.asset, options.grant.amount)).claimToken;
      begun = await this.post('/claim/grant', { claimToken });
    } else {
      const adminToken = options.admin ? (await this.app.get(AdminTokensService).create()).adminToken : undefined;
      begun = await this.post('/auth/signup/begin', { email, displayName, ...(adminToken && { adminToken }) });
    }
    const authenticator = new SoftAuthenticator(this.origin, 'localhost');
    const passkey = await this.post('/auth/signup/passkey', { registrationId: begun.registrationId, credential: authenticator.register(begun.options) });
    const person = { totpSecret: passkey.totp.secret as string, lastStep: 0 };
    const done = await this.post('/auth/signup/totp-verify', { registrationId: begun.registrationId, code: await this.code(person), ...(claimToken && { claimToken }) });
    return { ...person, id: done.person.id, email, displayName: done.person.displayName, sessionToken: done.sessionToken, personalEngagementId: done.person.personalEngagementId };
  }

  /** A grant to `email`, issued through the service: its id and claim token. */
  async grant(email: string, asset = 'sonnet', amount = 500, kind: 'welcome' | 'promo' = 'welcome'): Promise<{ id: string; claimToken: string }> {
    // A second grant to one address is a promo the staff chose to give (eligibility override).
    const override = kind === 'promo' ? { overrideEligibility: true, note: 'a second grant in a test' } : {};
    const { grant, claimToken } = await this.ctx.newGrant({ recipientEmail: email, asset, kind, amount: BigInt(amount), ...override });
    return { id: grant.id, claimToken };
  }

  /** A conversation turn on the system key, as the person (needs ANTHROPIC_BASE_URL at a fake). */
  async converse(person: Person, message: string): Promise<Json> {
    return this.post(`/engagements/${person.personalEngagementId}/converse`, { message }, person.sessionToken);
  }

  expectLedgerConsistent(): Promise<void> {
    return this.ctx.expectLedgerConsistent();
  }

  /** No serious or critical accessibility violation (axe-core) on the page as it is now. */
  async expectAccessible(page: Page): Promise<void> {
    // Evaluated through the DevTools protocol, which the page's CSP (no inline script) does not govern.
    if (!(await page.evaluate<boolean>('typeof window.axe === "object"'))) await page.evaluate(axeSource);
    const { violations } = await page.evaluate<{ violations: AxeViolation[] }>('axe.run(document, { resultTypes: ["violations"] })');
    const bad = violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join('; ')})`);
    expect(bad).toEqual([]);
  }

  /** The page fits its viewport: nothing makes it scroll sideways (the culprits are named when something does). */
  async expectNoHorizontalScroll(page: Page): Promise<void> {
    const wide = await page.evaluate<string[]>(
      `[...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5).slice(0, 5).map((e) => e.tagName + (e.id ? '#' + e.id : '') + '.' + e.className)`,
    );
    expect(wide).toEqual([]);
    const { scrollWidth, innerWidth } = await page.evaluate<{ scrollWidth: number; innerWidth: number }>(
      // a string: this project's TypeScript has no DOM types
      '({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth })',
    );
    expect(scrollWidth).toBeLessThanOrEqual(innerWidth);
  }

  /** The whole page, and on narrow screens also the first screenful at full size (to look at). */
  async screenshot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
    if ((page.viewportSize()?.width ?? 1280) < 500) await page.screenshot({ path: join(SHOTS, `${name}-screen.png`) });
  }
}

interface AxeViolation {
  id: string;
  impact?: string | null;
  help: string;
  nodes: Array<{ target: string[] }>;
}

export async function addAuthenticator(cdp: CDPSession): Promise<string> {
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  return authenticatorId;
}
