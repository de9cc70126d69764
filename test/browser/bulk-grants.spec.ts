import type { Page } from 'playwright-core';
import { uniqueEmail } from '../support/test-context';
import { BrowserWorld, type Person } from './browser-world';

// Bulk grants in the admin console (issue 23): staff choose a CSV file, see the server's dry run
// row by row — an invalid row named with its reason, nothing issued yet — then issue, and the
// grants exist exactly for the rows the preview promised.
describe('bulk grants from a CSV file in the admin console', () => {
  let world: BrowserWorld;
  let staff: Person;
  let page: Page;

  beforeAll(async () => {
    world = await BrowserWorld.start();
    staff = await world.person({ admin: true });
    ({ page } = await world.page());
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    await world.signIn(page, staff);
  });
  afterAll(() => world?.close());

  const grantsTo = (emails: string[]) =>
    world.db.query<{ recipient_email: string; asset: string; kind: string; amount: string; status: string }>(
      'SELECT recipient_email, asset, kind, amount::text AS amount, status FROM credit.grants WHERE recipient_email = ANY ($1) ORDER BY recipient_email',
      [emails],
    );
  const rows = () => page.locator('#bulk-rows tbody tr');
  const cells = async () => (await rows().all()).map(async (r) => (await r.locator('td').allTextContents()).slice(0, 2));

  it('previews the dry run with each row’s outcome, issues the valid rows, and the grants exist', async () => {
    const [first, second] = [uniqueEmail('cohort'), uniqueEmail('cohort')];
    const badAmount = uniqueEmail('cohort');
    const csv = [
      'recipientEmail,asset,kind,amount,expiresInDays,note',
      `${first},haiku,promo,150,,"beta cohort, wave 1"`,
      `${badAmount},haiku,promo,-5,,`,
      `${second},sonnet,welcome,40,30,`,
      `${first},haiku,promo,150,,`, // the same address again within the file
      '',
    ].join('\r\n');

    await page.goto('/admin#grants');
    await page.locator('#bulk-grants').waitFor();
    await page.setInputFiles('#bulk-file', { name: 'cohort.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });

    // The dry run: what would happen, row by row, and nothing issued.
    await page.locator('#bulk-status .ok').waitFor();
    expect(await page.locator('#bulk-status').textContent()).toBe('Dry run: 2 of 4 rows would be issued; nothing was issued yet.');
    expect(await page.locator('#bulk-rows caption').textContent()).toBe('Dry run, row by row');
    expect(await Promise.all(await cells())).toEqual([
      ['1', 'Will be issued'],
      ['2', 'Invalid'],
      ['3', 'Will be issued'],
      ['4', 'Not eligible'],
    ]);
    // the invalid row says which field and why
    expect(await rows().nth(1).locator('td').nth(2).textContent()).toMatch(/^amount: /);
    expect(await rows().nth(3).locator('td').nth(2).textContent()).not.toBe('');
    expect(await grantsTo([first, second, badAmount])).toEqual([]);
    await world.expectAccessible(page);
    await world.screenshot(page, 'admin-bulk-grants-preview');
    // a phone's width: the rows stack, nothing scrolls sideways (a long error included)
    await page.setViewportSize({ width: 390, height: 900 });
    await world.expectNoHorizontalScroll(page);
    await world.screenshot(page, 'admin-bulk-grants-preview-390');
    await page.setViewportSize({ width: 1280, height: 900 });

    // Issue: exactly the rows the preview promised.
    const issue = page.locator('#bulk-issue');
    expect(await issue.textContent()).toBe('Issue 2 grants');
    await issue.click();
    await page.locator('#bulk-rows caption', { hasText: 'Result, row by row' }).waitFor();
    // this server has no SMTP_URL: the page says the links are to be sent by hand, never that they were mailed
    expect(await page.locator('#bulk-status').textContent()).toBe('Issued 2 grants. Mail is off on this server: copy each claim link below and send it yourself.');
    expect(await Promise.all(await cells())).toEqual([
      ['1', 'Issued'],
      ['2', 'Invalid'],
      ['3', 'Issued'],
      ['4', 'Not eligible'],
    ]);
    expect(await rows().nth(0).locator('td').nth(2).textContent()).toContain(`${first}: 150 haiku`);
    expect(await page.locator('#bulk-issue').count()).toBe(0);

    expect(await grantsTo([first, second, badAmount])).toEqual(
      [
        { recipient_email: first, asset: 'haiku', kind: 'promo', amount: '150', status: 'issued' },
        { recipient_email: second, asset: 'sonnet', kind: 'welcome', amount: '40', status: 'issued' },
      ].sort((a, b) => a.recipient_email.localeCompare(b.recipient_email)),
    );
    // Each issued row's claim link is copyable and claims that grant.
    await rows().nth(0).getByRole('button', { name: 'Copy link' }).click();
    const claimUrl = await page.evaluate<string>('navigator.clipboard.readText()');
    expect(claimUrl).toMatch(new RegExp(`^${world.origin}/claim\\?token=`));
    const claimed = await world.post('/claim/grant', { claimToken: new URL(claimUrl).searchParams.get('token') });
    expect(claimed).toMatchObject({ asset: 'haiku', amount: 150 });
    const audit = await world.db.query<{ n: number }>("SELECT count(*)::int AS n FROM admin_audit WHERE actor_person_id = $1 AND action = 'grant.issue'", [staff.id]);
    expect(audit[0].n).toBe(2);
    await world.expectLedgerConsistent();
  });

  it('shows the server’s refusal of a file it can’t read, and offers nothing to issue', async () => {
    await page.goto('about:blank');
    await page.goto('/admin#grants');
    await page.locator('#bulk-grants').waitFor();
    await page.setInputFiles('#bulk-file', { name: 'wrong.csv', mimeType: 'text/csv', buffer: Buffer.from('email,credits\nsomeone@example.com,5\n') });
    await page.locator('#bulk-status [role=alert]').waitFor();
    expect(await page.locator('#bulk-issue').count()).toBe(0);
    expect(await page.locator('#bulk-rows').count()).toBe(0);
  });
});
