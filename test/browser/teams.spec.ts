import type { Page } from 'playwright-core';
import { FakeAnthropic } from '../support/fake-anthropic';
import { BrowserWorld, type Person } from './browser-world';

// /teams/:id and the account's teams and spend limit: an owner starts a team, staff fund its pool,
// the owner adds members with limits, a member converses from the pool and sees their own spend.
describe('teams and spend limits in Chromium', () => {
  let world: BrowserWorld;
  let llm: FakeAnthropic;
  let staff: Person;
  let owner: Person;
  let member: Person;
  let page: Page;
  let teamId: string;

  beforeAll(async () => {
    llm = await new FakeAnthropic().start();
    world = await BrowserWorld.start({ ANTHROPIC_BASE_URL: llm.url, ANTHROPIC_API_KEY: 'fake-key' });
    staff = await world.person({ admin: true });
    owner = await world.person({ displayName: 'Olivia Owner' });
    member = await world.person({ displayName: 'Max Member', grant: { asset: 'sonnet', amount: 400 } });
    ({ page } = await world.page());
    await world.signIn(page, owner);
  });
  afterAll(async () => {
    await world?.close();
    await llm?.stop();
  });

  const alertText = (p: Page) => p.locator('[role=alert]').first().textContent();
  const fund = (amount: number) =>
    fetch(`${world.origin}/admin/engagements/${teamId}/adjustments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${staff.sessionToken}`, 'idempotency-key': `fund-${amount}-${Date.now()}` },
      body: JSON.stringify({ asset: 'sonnet', amount, reason: 'team budget' }),
    }).then((r) => expect(r.status).toBe(201));

  it('starts a team from the account page and lands on its page, an owner with an empty pool', async () => {
    await page.goto('/account');
    await page.locator('#teams', { hasText: 'You belong to no team yet.' }).waitFor();
    await page.getByLabel('New team’s name').fill('Research Lab');
    await page.getByRole('button', { name: 'Create team' }).click();
    await page.waitForURL(/\/teams\/[0-9a-f-]{36}$/);
    teamId = new URL(page.url()).pathname.split('/')[2];
    await page.locator('h1', { hasText: 'Research Lab' }).waitFor();
    expect(await page.locator('#team-role').textContent()).toContain('You are an owner of this team.');
    expect(await page.locator('#pool-tier').textContent()).toContain('The pool is empty');
    // The owner is the one member so far.
    await page.locator('#members tbody tr').first().waitFor();
    expect(await page.locator('#members tbody tr').count()).toBe(1);
    expect(await page.locator('#members tbody tr').first().textContent()).toContain('Olivia Owner (you)');

    // The account page now lists the team, linked to its page.
    await page.goto('/account');
    await page.getByRole('link', { name: 'Research Lab' }).click();
    await page.waitForURL(`**/teams/${teamId}`);
  });

  it('shows the pool staff funded, adds members with a role and a limit, and says why an address is refused', async () => {
    await fund(12500);
    await page.goto(`/teams/${teamId}`);
    await page.locator('#pool #balances').waitFor();
    expect(await page.locator('#pool #balances tbody tr').first().textContent()).toBe('sonnet12,5000');

    // An address without an account: the server's reason, in the form's status.
    await page.getByLabel('Email of their account').fill('nobody-here@example.com');
    await page.getByRole('button', { name: 'Add member' }).click();
    expect(await page.locator('#add-member-status [role=alert]').textContent()).toBeTruthy();
    expect(await page.locator('#members tbody tr').count()).toBe(1);

    await page.getByLabel('Email of their account').fill(member.email);
    await page.getByLabel('Spend limit (credits)').fill('3000');
    await page.locator('#member-limit-period').selectOption('day');
    await page.getByRole('button', { name: 'Add member' }).click();
    await page.locator('#add-member-status .ok').waitFor();
    expect(await page.locator('#add-member-status').textContent()).toBe(`${member.displayName} (${member.email}) added as member.`);
    const row = page.locator('#members tbody tr', { hasText: member.email });
    await row.waitFor();
    expect(await row.locator('td[data-label=Limit]').textContent()).toBe('3,000 credits a day');
    expect(await row.locator('td[data-label=Spent]').textContent()).toBe('0 of 3,000 today');
    const [stored] = await world.db.query<{ role: string }>('SELECT role FROM engagement_members WHERE engagement_id = $1 AND person_id = $2', [teamId, member.id]);
    expect(stored.role).toBe('member');

    // The same address twice: refused with the server's reason.
    await page.getByLabel('Email of their account').fill(member.email);
    await page.getByRole('button', { name: 'Add member' }).click();
    await page.locator('#add-member-status [role=alert]').waitFor();
    await world.expectAccessible(page);
    await world.screenshot(page, 'team-owner');
  });

  it('lets a member converse from the pool and see their own spend, not the others’', async () => {
    const turn = await world.post(`/engagements/${teamId}/converse`, { message: 'hello team' }, member.sessionToken);
    expect(turn.status).toBe('ok');
    const charged = turn.credit.charged as number;
    const { page: mine } = await world.page({ authenticator: false });
    await world.signIn(mine, member);
    await mine.goto(`/teams/${teamId}`);
    await mine.locator('#my-spend').waitFor();
    expect(await mine.locator('#team-role').textContent()).toContain('You are a member of this team.');
    expect(await mine.locator('#my-limit').textContent()).toBe('3,000 credits a day');
    expect(await mine.locator('#my-spent').textContent()).toBe(`${charged.toLocaleString('en')} of 3,000 today`);
    expect(await mine.locator('#pool #balances tbody tr').first().textContent()).toBe(`sonnet${(12500 - charged).toLocaleString('en')}0`);
    // Members manage nothing and see no one else.
    expect(await mine.locator('#members').count()).toBe(0);
    expect(await mine.locator('#add-member').count()).toBe(0);
    await world.expectAccessible(mine);
    await world.screenshot(mine, 'team-member');

    // The owner sees the member's spend this period.
    await page.reload();
    const row = page.locator('#members tbody tr', { hasText: member.email });
    await row.waitFor();
    expect(await row.locator('td[data-label=Spent]').textContent()).toBe(`${charged.toLocaleString('en')} of 3,000 today`);
    await mine.context().close();
  });

  it('changes a member’s role and limit and removes them from the row’s menu; never the last owner', async () => {
    await page.goto(`/teams/${teamId}`);
    const row = page.locator('#members tbody tr', { hasText: member.email });
    await row.waitFor();
    await row.getByText('Actions', { exact: true }).click();
    await page.getByRole('button', { name: `Change the role or limit of ${member.email}` }).click();
    const dialog = page.getByRole('dialog');
    expect(await dialog.getByLabel('Spend limit (credits)').inputValue()).toBe('3000');
    await dialog.getByLabel('Spend limit (credits)').fill('50000');
    await dialog.getByLabel('Period').selectOption('month');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await page.locator('#members-status .ok').waitFor();
    await row.locator('td[data-label=Limit]', { hasText: '50,000 credits a month' }).waitFor();
    const [stored] = await world.db.query<{ limit: unknown }>('SELECT to_jsonb(m) AS limit FROM engagement_members m WHERE engagement_id = $1 AND person_id = $2', [teamId, member.id]);
    expect(JSON.stringify(stored.limit)).toContain('50000');

    // No limit at all: the amount emptied.
    await row.getByText('Actions', { exact: true }).click();
    await page.getByRole('button', { name: `Change the role or limit of ${member.email}` }).click();
    await dialog.getByLabel('Spend limit (credits)').fill('');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await row.locator('td[data-label=Limit]', { hasText: 'No limit' }).waitFor();

    // The last owner cannot step down: the server's reason shows.
    const mine = page.locator('#members tbody tr', { hasText: owner.email });
    await mine.getByText('Actions', { exact: true }).click();
    await page.getByRole('button', { name: `Remove ${owner.email}` }).click();
    await dialog.getByRole('button', { name: 'Remove' }).click();
    await page.locator('#members-status [role=alert]').waitFor();
    expect(await page.locator('#members tbody tr').count()).toBe(2);

    await row.getByText('Actions', { exact: true }).click();
    await page.getByRole('button', { name: `Remove ${member.email}` }).click();
    expect(await dialog.textContent()).toContain('They can no longer hold conversations in this team');
    await dialog.getByRole('button', { name: 'Remove' }).click();
    await page.locator('#members-status .ok', { hasText: 'removed' }).waitFor();
    await row.waitFor({ state: 'detached' });
    expect(await page.locator('#members tbody tr').count()).toBe(1);

    // Removed, they are told they are no member.
    const { page: gone } = await world.page({ authenticator: false });
    await world.signIn(gone, member);
    await gone.goto(`/teams/${teamId}`);
    expect(await gone.locator('#not-member').textContent()).toContain('You are not a member of this team.');
    await gone.context().close();
    await world.expectLedgerConsistent();
  });

  it('sets and removes the own spend limit on the account page, beside staff’s', async () => {
    const { page: acct } = await world.page({ authenticator: false });
    await world.signIn(acct, member);
    await acct.goto('/account');
    await acct.locator('#limit').waitFor();
    await acct.getByLabel('Your limit (credits)').fill('2500');
    await acct.locator('#self-limit-input-period').selectOption('week');
    await acct.getByRole('button', { name: 'Save limit' }).click();
    await acct.locator('#limit-status .ok').waitFor();
    expect(await acct.locator('#limit-status').textContent()).toBe('Your limit is now 2,500 credits a week.');
    expect(await acct.locator('#self-limit').textContent()).toBe('2,500 credits a week');
    expect(await acct.locator('#staff-limit').textContent()).toBe('No limit');
    // Read back after a reload.
    await acct.reload();
    await acct.locator('#self-limit', { hasText: '2,500 credits a week' }).waitFor();
    expect(await acct.getByLabel('Your limit (credits)').inputValue()).toBe('2500');

    await acct.getByLabel('Your limit (credits)').fill('');
    await acct.getByRole('button', { name: 'Save limit' }).click();
    await acct.locator('#limit-status .ok', { hasText: 'removed' }).waitFor();
    await acct.locator('#self-limit', { hasText: 'No limit' }).waitFor();
    expect(await acct.getByLabel('Your limit (credits)').inputValue()).toBe('');
    await acct.context().close();
  });

  it.each([1280, 390])('fits a %i px screen, owner and member', async (width) => {
    await page.setViewportSize({ width, height: 900 });
    await page.goto(`/teams/${teamId}`);
    await page.locator('#members tbody tr').first().waitFor();
    await world.expectNoHorizontalScroll(page);
    await world.expectAccessible(page);
    await world.screenshot(page, `team-owner-${width}`);
    await page.goto('/account');
    await page.locator('#teams').waitFor();
    await page.locator('#teams').scrollIntoViewIfNeeded();
    await world.expectNoHorizontalScroll(page);
    await world.screenshot(page, `account-teams-${width}`);
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('asks a stranger to sign in', async () => {
    const { page: stranger } = await world.page({ authenticator: false });
    await stranger.goto(`/teams/${teamId}`);
    expect(await alertText(stranger)).toContain('You are not signed in');
    await stranger.context().close();
  });
});
