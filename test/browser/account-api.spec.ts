import Anthropic from '@anthropic-ai/sdk';
import type { Page } from 'playwright-core';
import { FakeAnthropic } from '../support/fake-anthropic';
import { BrowserWorld, type Person } from './browser-world';

const HAIKU = 'claude-haiku-4-5-20251001';

// /account, the parts for programs and usage: API keys (created, shown once, copied, revoked),
// the LLM call log and the usage chart from the server's aggregates.
describe('the account page: API keys, LLM calls, usage', () => {
  let world: BrowserWorld;
  let llm: FakeAnthropic;
  let member: Person;
  let page: Page;

  beforeAll(async () => {
    llm = await new FakeAnthropic().start();
    world = await BrowserWorld.start({ ANTHROPIC_BASE_URL: llm.url, ANTHROPIC_API_KEY: 'fake-key' });
    member = await world.person({ grant: { asset: 'sonnet', amount: 5000 } });
    await world.post('/engagements', { name: 'Research team' }, member.sessionToken);
    await world.converse(member, 'hello');
    ({ page } = await world.page());
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    await world.signIn(page, member);
    await page.goto('/account');
    await page.locator('#balances').waitFor();
  });
  afterAll(async () => {
    await page?.context().close();
    await world?.close();
    await llm?.stop();
  });

  const callRows = () => page.locator('#llm-calls table.calls tbody tr');

  it('draws the usage chart from /me/usage and lists the turn’s provider calls', async () => {
    const usage = page.waitForResponse((r) => r.url().includes('/me/usage?groupBy=day'));
    await page.reload();
    expect((await usage).status()).toBe(200);
    await page.locator('#usage .chart canvas').first().waitFor();
    // the aggregates' credits are the turn's charge (the ledger's consumption flows)
    const [{ charged }] = await world.db.query<{ charged: number }>("SELECT sum(amount)::int AS charged FROM credit.flows WHERE kind = 'consumption' AND person_id = $1", [member.id]);
    expect(await page.locator('#usage figcaption').textContent()).toContain(`Credits used per day: ${charged.toLocaleString('en')}`);
    expect(await page.locator('#usage table.usage-by-model').textContent()).toContain('claude-sonnet-4-6');
    await callRows().nth(1).waitFor();
    expect(await callRows().count()).toBe(2);
    const texts = await callRows().allTextContents();
    expect(texts[0]).toMatch(/Turn: (reply|classify)/);
    expect(texts.join(' ')).toContain('Turn: classify');
    expect(texts.join(' ')).toContain('300 in / 2 out');
  });

  it('creates a key shown once and copyable; an SDK uses it; the call shows in the log; revoked, it is refused', async () => {
    await page.getByLabel('Name', { exact: true }).fill('billing service');
    await page.getByLabel('Spend limit (optional)').fill('900');
    await page.getByLabel('Limit period').selectOption('week');
    await page.getByRole('button', { name: 'Create key' }).click();
    const shown = (await page.locator('#new-key-value').textContent())!.trim();
    expect(shown).toMatch(/^lw_[A-Za-z0-9_-]{20,}$/);
    expect(await page.locator('#new-key').textContent()).toContain(`base URL ${world.origin}`);
    await page.getByRole('button', { name: 'Copy key' }).click();
    await page.locator('#new-key .copied', { hasText: 'Copied.' }).waitFor();
    expect(await page.evaluate<string>('navigator.clipboard.readText()')).toBe(shown);
    const row = page.locator('#api-key-list li', { hasText: 'billing service' });
    expect(await row.textContent()).toMatch(/900 per week \(0 spent\).*last used never/);
    expect(await row.textContent()).toContain(shown.slice(0, 8));
    await world.expectAccessible(page);
    await world.screenshot(page, 'account-api-key-created');

    // The official SDK with the base URL and the key the page gave.
    const sdk = new Anthropic({ baseURL: world.origin, apiKey: shown, maxRetries: 0 });
    const answer = await sdk.messages.create({ model: HAIKU, max_tokens: 200, messages: [{ role: 'user', content: 'from a program' }] });
    expect(answer.content).toEqual([{ type: 'text', text: 'Echo: from a program' }]);

    // Shown once: gone after a reload, and never in the page again.
    await page.reload();
    await row.waitFor();
    expect(await page.locator('#new-key').count()).toBe(0);
    expect(await page.content()).not.toContain(shown);
    expect(await row.textContent()).not.toContain('last used never');
    await callRows().nth(2).waitFor();
    const newest = (await callRows().first().textContent())!;
    expect(newest).toContain('API call (key)');
    expect(newest).toContain(HAIKU);
    const [{ charged }] = await world.db.query<{ charged: string }>("SELECT charged::text FROM llm_calls WHERE source = 'messages' AND person_id = $1", [member.id]);
    expect(newest).toContain(`${Number(charged).toLocaleString('en')} sonnet`);

    await page.getByRole('button', { name: 'Revoke billing service' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke' }).click();
    await page.locator('#api-keys-status .ok', { hasText: 'revoked' }).waitFor();
    await row.waitFor({ state: 'detached' });
    await expect(sdk.messages.create({ model: HAIKU, max_tokens: 200, messages: [{ role: 'user', content: 'again' }] })).rejects.toBeInstanceOf(Anthropic.AuthenticationError);
    await world.expectLedgerConsistent();
  });

  it('offers a team’s pool as the payer of a key', async () => {
    await page.getByLabel('Name', { exact: true }).fill('team job');
    await page.getByLabel('Paid by').selectOption({ label: 'the pool of Research team' });
    await page.getByRole('button', { name: 'Create key' }).click();
    await page.locator('#new-key-value').waitFor();
    expect(await page.locator('#api-key-list li', { hasText: 'team job' }).textContent()).toContain('paid by Research team');
    await page.getByRole('button', { name: 'I have copied it' }).click();
    expect(await page.locator('#new-key').count()).toBe(0);
  });

  it('fits a 390 px wide screen', async () => {
    await page.setViewportSize({ width: 390, height: 800 });
    await page.reload();
    await page.locator('#llm-calls table.calls').waitFor();
    await page.locator('#usage .chart canvas').first().waitFor();
    await world.expectNoHorizontalScroll(page);
    await world.expectAccessible(page);
    await world.screenshot(page, 'account-api-390');
  });
});
