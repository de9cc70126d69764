import type { Page } from 'playwright-core';
import { FakeAnthropic } from '../support/fake-anthropic';
import { BrowserWorld, type Person } from './browser-world';

// The console's credit controls of issue 22: team pools (fund, debit with a confirmation, holds and
// members), service keys (shown once, copyable, revoked from a menu), a person's spend limit, and
// refunds of a person's charges.
describe('pools, service keys, limits and refunds in the admin console', () => {
  let world: BrowserWorld;
  let llm: FakeAnthropic;
  let staff: Person;
  let page: Page;

  beforeAll(async () => {
    llm = await new FakeAnthropic().start();
    world = await BrowserWorld.start({ ANTHROPIC_BASE_URL: llm.url, ANTHROPIC_API_KEY: 'fake-key' });
    staff = await world.person({ admin: true });
    ({ page } = await world.page());
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    await world.signIn(page, staff);
  });
  afterAll(async () => {
    await world?.close();
    await llm?.stop();
  });

  /** A fresh load of a console section (a hash change alone would keep the page's state). */
  const open = async (hash: string) => {
    await page.goto('about:blank');
    await page.goto(`/admin#${hash}`);
  };

  it('creates a service key shown once and copyable, lists it, and revokes it from its menu', async () => {
    await open('keys');
    await page.getByLabel('Name (which service uses it)').fill('image-service');
    await page.getByRole('button', { name: 'Create key' }).click();
    await page.locator('#new-service-key').waitFor();
    const key = (await page.locator('#service-key-secret').textContent())!;
    expect(key).toMatch(/^lk_/);
    await page.getByRole('button', { name: 'Copy key' }).click();
    await page.locator('.copied', { hasText: 'Copied.' }).waitFor();
    expect(await page.evaluate<string>('navigator.clipboard.readText()')).toBe(key);
    const row = page.locator('#service-keys tbody tr', { hasText: 'image-service' });
    await row.waitFor();
    expect(key.startsWith((await row.locator('code').textContent())!.replace('…', ''))).toBe(true);
    expect(await row.locator('td[data-label="Last used"]').textContent()).toBe('never');
    await world.expectAccessible(page);
    await world.screenshot(page, 'admin-service-keys');

    // Shown once: gone after a reload.
    await open('keys');
    await row.waitFor();
    expect(await page.content()).not.toContain(key);

    await row.getByText('Actions', { exact: true }).click();
    await page.getByRole('button', { name: 'Revoke the service key image-service' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke' }).click();
    await page.locator('#service-keys-status .ok').waitFor();
    await row.waitFor({ state: 'detached' });
    const refused = await fetch(`${world.origin}/credit/authorizations/00000000-0000-4000-8000-000000000000`, { headers: { authorization: `Bearer ${key}` } });
    expect(refused.status).toBe(401);
  });

  it.each([1280, 390])('fits a %i px screen: service keys', async (width) => {
    await page.setViewportSize({ width, height: 900 });
    await open('keys');
    await page.locator('#create-service-key').waitFor();
    await world.expectNoHorizontalScroll(page);
    await world.expectAccessible(page);
    await world.screenshot(page, `admin-service-keys-${width}`);
    await page.setViewportSize({ width: 1280, height: 900 });
  });
});
