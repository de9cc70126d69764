import type { Page } from 'playwright-core';
import { FakeAnthropic } from '../support/fake-anthropic';
import { BrowserWorld, type Person } from './browser-world';

// /chat: a member holds a conversation on the system key and sees what each turn held and charged.
describe('the chat page in Chromium', () => {
  let world: BrowserWorld;
  let llm: FakeAnthropic;
  let member: Person;
  let page: Page;

  beforeAll(async () => {
    llm = await new FakeAnthropic().start();
    world = await BrowserWorld.start({ ANTHROPIC_BASE_URL: llm.url, ANTHROPIC_API_KEY: 'fake-key' });
    member = await world.person({ grant: { asset: 'sonnet', amount: 1000 } });
    ({ page } = await world.page());
    await world.signIn(page, member);
  });
  afterAll(async () => {
    await world?.close();
    await llm?.stop();
  });

  it('sends messages in one conversation, each reply with what its turn held and charged, then reads it again', async () => {
    await page.goto('/account');
    await page.getByRole('link', { name: 'Conversations' }).click();
    await page.locator('#send').waitFor();
    await page.getByLabel('Message').fill('hello there');
    const streamed = page.waitForResponse((r) => r.url().endsWith('/converse'));
    await page.getByRole('button', { name: 'Send' }).click();
    // The reply comes as server-sent events (turn.started, reply.delta …, turn.completed).
    const response = await streamed;
    expect(response.request().headers().accept).toBe('text/event-stream');
    expect(response.headers()['content-type']).toMatch(/^text\/event-stream/);
    const replies = page.locator('#thread .turn-line.assistant');
    // The turn is done (and charged) when its cost shows; the text may stream in before that.
    await replies.first().locator('.turn-cost').waitFor();
    expect(await replies.first().locator('.content').textContent()).toBe('Echo: hello there');

    // What the page says the turn cost is what the ledger charged.
    const [{ charged }] = await world.db.query<{ charged: number }>(
      "SELECT sum(amount)::int AS charged FROM credit.flows WHERE kind = 'consumption' AND person_id = $1",
      [member.id],
    );
    const cost = (await replies.first().locator('.turn-cost').textContent())!;
    expect(cost).toMatch(new RegExp(`held [\\d,]+ sonnet, charged ${charged.toLocaleString('en')}; [\\d,]+ left$`));

    await page.getByLabel('Message').fill('and again');
    await page.getByRole('button', { name: 'Send' }).click();
    await replies.nth(1).locator('.turn-cost').waitFor();
    expect(await replies.nth(1).locator('.content').textContent()).toBe('Echo: and again');
    // One conversation holds both turns.
    await page.locator('#conversations li').first().waitFor();
    expect(await page.locator('#conversations li').count()).toBe(1);
    await world.expectAccessible(page);
    await world.screenshot(page, 'chat');

    // Read back from the server: the earlier conversation, oldest turn first.
    await page.reload();
    await page.locator('#conversations li button').first().click();
    await page.locator('#thread .turn-line').nth(3).waitFor();
    expect(await page.locator('#thread .turn-line .content').allTextContents()).toEqual(['hello there', 'Echo: hello there', 'and again', 'Echo: and again']);
    await world.expectLedgerConsistent();
  });

  it('says so when the credit runs out, and fits a 390 px screen', async () => {
    const poor = await world.person({ grant: { asset: 'haiku', amount: 1 } });
    const { page: narrow } = await world.page({ width: 390, height: 800, authenticator: false });
    await world.signIn(narrow, poor);
    await narrow.goto('/chat');
    await narrow.getByLabel('Message').fill('anything');
    await narrow.getByRole('button', { name: 'Send' }).click();
    expect(await narrow.locator('#send-status [role=alert]').textContent()).toContain('no credit left');
    await world.expectNoHorizontalScroll(narrow);
    await world.screenshot(narrow, 'chat-390');
    await narrow.context().close();
  });
});
