import type { Page } from 'playwright-core';
import { uniqueEmail } from '../support/test-context';
import { BrowserWorld, type Person } from './browser-world';

// The admin console: the first admin's signup link, then each section as staff use it (mail off).
describe('the admin console in Chromium', () => {
  let world: BrowserWorld;
  let staff: Person;
  let page: Page;

  beforeAll(async () => {
    world = await BrowserWorld.start({ WEBHOOK_ALLOW_HTTP: 'true', ANTHROPIC_API_KEY: 'sk-ant-from-the-environment' });
    staff = await world.person({ admin: true });
    ({ page } = await world.page());
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    await world.signIn(page, staff);
  });
  afterAll(() => world?.close());

  const alertText = (p: Page) => p.locator('[role=alert]').first().textContent();
  /** A fresh load of a console section (a hash change alone would keep the page's state). */
  const open = async (hash: string) => {
    await page.goto('about:blank');
    await page.goto(`/admin#${hash}`);
  };

  it('creates the first admin from the bootstrap link, who lands on the console', async () => {
    const { page: fresh } = await world.page();
    const { AdminTokensService } = await import('@loomworks/auth');
    const { adminToken } = await world.app.get(AdminTokensService).create();
    await fresh.goto(`/signup?adminToken=${adminToken}`);
    expect(await fresh.locator('.info').textContent()).toContain('administrator');
    await fresh.getByLabel('Email').fill(uniqueEmail('first-admin'));
    await fresh.getByLabel('Your name').fill('First Admin');
    await fresh.getByRole('button', { name: 'Continue' }).click();
    await fresh.getByRole('button', { name: 'Create a passkey' }).click();
    await fresh.locator('#totp').waitFor();
    const me = { totpSecret: (await fresh.locator('#secret').textContent())!, lastStep: 0 };
    await fresh.getByLabel('6-digit code from the app').fill(await world.code(me));
    await fresh.getByRole('button', { name: 'Finish' }).click();
    expect(await fresh.locator('#welcome').textContent()).toBe('Welcome, First Admin (admin).');
    await fresh.getByRole('link', { name: 'Open the admin console' }).click();
    await fresh.locator('#console').waitFor();
    await fresh.context().close();
  });

  it('turns away a member, and asks a stranger to sign in', async () => {
    const member = await world.person({ grant: { asset: 'haiku', amount: 5 } });
    const { page: other } = await world.page({ authenticator: false });
    await other.goto('/admin');
    expect(await alertText(other)).toContain('You are not signed in');
    await world.signIn(other, member);
    await other.goto('/admin');
    expect(await other.locator('#not-admin').textContent()).toContain('This console is for staff');
    expect(await other.locator('#console').count()).toBe(0);
    await world.expectAccessible(other);
    await other.context().close();
  });

  it('issues a grant with its eligibility shown first, a copyable link and the mail status; refuses a duplicate unless overridden', async () => {
    await open('grants');
    // No credit chosen for the staff member, and no offer to mail while mail is off.
    await page.locator('#mail-off').waitFor();
    expect(await page.locator('#mail-off').textContent()).toContain('Mail is off on this server');
    expect(await page.locator('#send-email').count()).toBe(0);
    expect(await page.getByLabel('Credit', { exact: true }).inputValue()).toBe('');
    const recipient = uniqueEmail('recipient');
    await page.getByLabel('Recipient email').first().fill(recipient);
    await page.getByLabel('Amount (credits)').fill('300');
    await page.getByRole('button', { name: 'Issue grant' }).click();
    expect(await page.locator('#issued').count()).toBe(0); // the browser asks for the credit first
    await page.getByLabel('Credit', { exact: true }).selectOption('haiku');
    expect(await page.locator('#eligibility .ok').textContent()).toContain('Eligible');
    await page.getByLabel('Amount (credits)').fill('300');
    await page.getByRole('button', { name: 'Issue grant' }).click();
    await page.locator('#issued').waitFor();
    const url = (await page.locator('#claim-url').textContent())!;
    expect(url).toMatch(new RegExp(`^${world.origin}/claim\\?token=[A-Za-z0-9_-]{43}$`));
    expect(await page.locator('#issued').textContent()).toContain('Mail is off: send the link yourself.');
    await page.getByRole('button', { name: 'Copy link' }).click();
    await page.locator('.copied', { hasText: 'Copied.' }).waitFor();
    expect(await page.evaluate<string>('navigator.clipboard.readText()')).toBe(url);
    await page.locator('#grants tr', { hasText: recipient }).waitFor();
    await world.expectAccessible(page);
    await world.screenshot(page, 'admin-grants');

    // The same address again: not eligible, said before issuing; an override needs a note.
    await page.getByLabel('Recipient email').first().fill(recipient);
    await page.getByLabel('Amount (credits)').focus();
    await page.locator('#eligibility .error').waitFor();
    expect(await page.locator('#eligibility').textContent()).toContain('already had a grant');
    await page.getByLabel('Amount (credits)').fill('50');
    await page.getByLabel('Credit', { exact: true }).selectOption('haiku');
    await page.getByRole('button', { name: 'Issue grant' }).click();
    expect(await page.locator('#issue-status [role=alert]').textContent()).toContain('cannot receive a grant');
    await page.getByLabel('Issue anyway (override eligibility)').check();
    await page.getByLabel('Why (recorded with the grant)').fill('second chance');
    await page.getByRole('button', { name: 'Issue grant' }).click();
    await page.locator('#issued').waitFor();
    await page.locator('#grants tr', { hasText: recipient }).nth(1).waitFor();
  });

  it('revokes and re-issues grants after a confirmation; a revoked grant’s link disappears', async () => {
    await open('grants');
    const recipient = uniqueEmail('revokee');
    await page.getByLabel('Recipient email').first().fill(recipient);
    await page.getByLabel('Credit', { exact: true }).selectOption('sonnet');
    await page.getByLabel('Amount (credits)').fill('10');
    await page.getByRole('button', { name: 'Issue grant' }).click();
    await page.locator('#issued').waitFor();
    const first = await page.locator('#claim-url').textContent();
    const expiresBefore = await page.locator('#grants tr', { hasText: recipient }).locator('td[data-label=Expires]').textContent();

    // Each row's actions are in its menu.
    const menu = page.getByText('Actions', { exact: true }).and(page.getByLabel(`Actions for the grant for ${recipient}`));
    await menu.click();
    await page.getByRole('button', { name: `Re-issue the grant for ${recipient}` }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Re-issue' }).click();
    await page.locator('#grants-status .ok').waitFor();
    const second = await page.locator('#claim-url').textContent();
    expect(second).not.toBe(first);
    // Re-issuing keeps the expiry.
    expect(await page.locator('#grants tr', { hasText: recipient }).locator('td[data-label=Expires]').textContent()).toBe(expiresBefore);

    await menu.click();
    await page.getByRole('button', { name: `Revoke the grant for ${recipient}` }).click();
    // Cancel first: nothing happens.
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
    expect(await page.locator('#grants tr', { hasText: recipient }).textContent()).toContain('issued');
    await menu.click();
    await page.getByRole('button', { name: `Revoke the grant for ${recipient}` }).click();
    await world.screenshot(page, 'admin-revoke-confirm');
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke' }).click();
    await page.locator('#grants tr', { hasText: recipient }).getByText('revoked').waitFor();
    expect(await page.locator('#issued').count()).toBe(0);
  });

  it('filters grants by status and by email, and pages Older then Newer by keyboard: no repeats, ends disabled', async () => {
    // Set up through the service and the API (fast): more than two pages of the 20 the console asks
    // for, two of them revoked, and two grants to one address.
    const bulk: string[] = [];
    for (let i = 0; i < 41; i++) bulk.push((await world.grant(uniqueEmail('paged'), 'haiku', 1)).id);
    for (const id of bulk.slice(0, 2)) await world.post(`/admin/grants/${id}/revoke`, {}, staff.sessionToken);
    const twice = uniqueEmail('twice');
    await world.grant(twice, 'haiku', 7);
    await world.grant(twice, 'haiku', 8, 'promo');
    const [{ total, revoked }] = await world.db.query<{ total: number; revoked: number }>(
      "SELECT count(*)::int AS total, (count(*) FILTER (WHERE status = 'revoked'))::int AS revoked FROM credit.grants",
    );

    const requested: string[] = [];
    page.on('request', (r) => {
      const url = new URL(r.url());
      if (url.pathname === '/admin/grants') requested.push(url.pathname + url.search);
    });
    const rows = () => page.locator('#grants tbody tr').allInnerTexts();
    const focused = () => page.evaluate<string>('document.activeElement?.textContent ?? ""');
    /** Presses Enter on the focused control and waits until the list it asks for is shown. */
    const pressAndLoad = async () => {
      const response = page.waitForResponse((r) => new URL(r.url()).pathname === '/admin/grants');
      await page.keyboard.press('Enter');
      await response;
      await page.locator('#grants-list[aria-busy=false]').waitFor();
    };
    const older = page.getByRole('button', { name: 'Older' });
    const newer = page.getByRole('button', { name: 'Newer' });

    await open('grants');
    await page.locator('#grants tbody tr').first().waitFor();
    expect(requested).toEqual(['/admin/grants?limit=20']); // no cursor: no stray separator
    expect(await newer.isDisabled()).toBe(true);

    // Older, page after page, by keyboard (focus stays on the button), until it is disabled.
    const pages = [await rows()];
    await older.focus();
    while (!(await older.isDisabled())) {
      expect(await focused()).toBe('Older');
      await pressAndLoad();
      pages.push(await rows());
      expect(requested[requested.length - 1]).toMatch(/^\/admin\/grants\?limit=20&cursor=[^&]+$/);
    }
    expect(pages.length).toBe(Math.ceil(total / 20));
    const seen = pages.flat();
    expect(seen).toHaveLength(total);
    expect(new Set(seen).size).toBe(total);
    // At the oldest end focus moved to Newer; Newer walks back through the same pages.
    expect(await focused()).toBe('Newer');
    for (let i = pages.length - 2; i >= 0; i--) {
      await pressAndLoad();
      expect(await rows()).toEqual(pages[i]);
    }
    expect(await newer.isDisabled()).toBe(true);
    expect(await older.isDisabled()).toBe(false);
    expect(await focused()).toBe('Older');
    await world.expectAccessible(page);

    // By status (the form submits on Enter): only revoked grants, all of them.
    await page.getByLabel('Status').selectOption('revoked');
    await page.locator('#grant-email').focus();
    await pressAndLoad();
    expect(requested[requested.length - 1]).toBe('/admin/grants?limit=20&status=revoked');
    const revokedRows = await rows();
    expect(revokedRows).toHaveLength(revoked);
    expect(await page.locator('#grants tbody .badge').allTextContents()).toEqual(Array(revoked).fill('revoked'));
    expect(await newer.count()).toBe(0); // one page: no pager

    // By email, any status: just the two grants to that address, newest first.
    await page.getByLabel('Status').selectOption('');
    await page.locator('#grant-email').fill(twice);
    await page.locator('#grant-email').focus();
    await pressAndLoad();
    expect(requested[requested.length - 1]).toBe(`/admin/grants?${new URLSearchParams({ limit: '20', email: twice })}`);
    const mine = await rows();
    expect(mine).toHaveLength(2);
    expect(mine[0]).toContain(twice);
    expect(mine[0]).toMatch(/8 haiku\s*\(promo\)/);
    expect(mine[1]).toContain(twice);
    expect(mine[1]).toMatch(/7 haiku\s*\(welcome\)/);
    await world.screenshot(page, 'admin-grants-filtered');
  });

  it('issues a grant by keyboard alone', async () => {
    await open('grants');
    await page.locator('#issue').waitFor();
    const recipient = uniqueEmail('keyboard');
    // From the top of the page, Tab until the recipient field has focus.
    for (let i = 0; i < 20 && (await page.evaluate<string>('document.activeElement?.id ?? ""')) !== 'recipient'; i++) await page.keyboard.press('Tab');
    expect(await page.evaluate<string>('document.activeElement.id')).toBe('recipient');
    await page.keyboard.type(recipient);
    await page.keyboard.press('Tab'); // the credit select (checks eligibility on the way out)
    await page.keyboard.press('ArrowDown'); // Choose… → opus
    await page.keyboard.press('ArrowDown'); // opus → sonnet
    await page.keyboard.press('Tab'); // kind
    await page.keyboard.press('Tab'); // amount
    await page.keyboard.type('42');
    await page.keyboard.press('Enter');
    await page.locator('#issued').waitFor();
    expect(await page.locator('#issued').textContent()).toContain(`42 sonnet for ${recipient}`);
    // Focus is visible: the focused control has an outline.
    await page.keyboard.press('Tab');
    const outline = await page.evaluate<string>('getComputedStyle(document.activeElement).outlineStyle');
    expect(outline).not.toBe('none');
  });

  it('finds a person by part of their address, opens their own page (a URL), confirms a large debit, adjusts', async () => {
    const member = await world.person({ grant: { asset: 'sonnet', amount: 200 }, email: uniqueEmail('ada-lovelace') });
    await open('people');
    await page.locator('#people tbody tr').first().waitFor(); // everyone, newest first
    // Part of the address, in another case.
    await page.getByLabel('Name or email').fill(member.email.split('@')[0].toUpperCase());
    await page.getByRole('button', { name: 'Search' }).click();
    await page.locator('#people tbody tr', { hasText: member.email }).waitFor();
    await page.locator('#people tbody tr', { hasText: member.email }).getByRole('link').click();
    await page.locator('#person').waitFor();
    expect(new URL(page.url()).hash).toBe(`#people/${member.id}`);
    // The URL alone opens the page again.
    await page.goto('about:blank');
    await page.goto(`/admin#people/${member.id}`);
    await page.locator('#person-title', { hasText: member.displayName }).waitFor();
    expect(await page.locator('#balances').textContent()).toContain('200');

    await page.getByLabel('Amount', { exact: true }).fill('-25');
    await page.getByLabel('Reason (recorded in the audit log)').fill('refund of a test turn');
    await page.getByRole('button', { name: 'Record adjustment' }).click();
    await page.locator('#adjust-status .ok').waitFor();
    expect(await page.locator('#adjust-status').textContent()).toBe('Adjustment of −25 sonnet recorded.');
    await page.locator('table.history', { hasText: 'refund of a test turn' }).waitFor();
    expect(await page.locator('#balances').textContent()).toContain('175');

    // A large debit (or one below zero) asks first; cancelling records nothing.
    await page.getByLabel('Amount', { exact: true }).fill('-5000');
    await page.getByLabel('Reason (recorded in the audit log)').fill('a slip of the keyboard');
    await page.getByRole('button', { name: 'Record adjustment' }).click();
    expect(await page.locator('#debit-effect').textContent()).toContain('goes from 175 to −4,825, below zero');
    await world.screenshot(page, 'admin-debit-confirm');
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
    // Until the dialog has closed the form behind it is inert: a fill would type into the dialog, and the old amount would ask again.
    await page.getByRole('dialog').waitFor({ state: 'hidden' });
    const [{ n }] = await world.db.query<{ n: number }>("SELECT count(*)::int AS n FROM credit.flows WHERE kind = 'adjustment' AND metadata->>'reason' = 'a slip of the keyboard'");
    expect(n).toBe(0);
    await page.getByLabel('Amount', { exact: true }).fill('-100');
    expect(await page.getByLabel('Amount', { exact: true }).inputValue()).toBe('-100');
    await page.getByRole('button', { name: 'Record adjustment' }).click();
    await page.locator('#adjust-status .ok', { hasText: '−100' }).waitFor();
    expect(await page.locator('#balances').textContent()).toContain('75');
    await world.expectAccessible(page);
    await world.screenshot(page, 'admin-person');

    await page.getByRole('button', { name: 'Suspend' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Suspend' }).click();
    await page.locator('#account-status', { hasText: 'suspended' }).waitFor();
    await page.getByRole('button', { name: 'Reactivate' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Reactivate' }).click();
    await page.locator('#account-status', { hasText: 'active' }).waitFor();

    await page.getByRole('button', { name: 'Recovery link' }).click();
    expect(await page.locator('#recovery-url').textContent()).toMatch(new RegExp(`^${world.origin}/recover\\?token=`));

    await page.getByRole('button', { name: 'Delete account' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete account' }).click();
    await page.locator('#account-status', { hasText: 'deleted' }).waitFor();
    const [row] = await world.db.query<{ account_status: string }>('SELECT account_status FROM persons WHERE id = $1', [member.id]);
    expect(row.account_status).toBe('deleted');
    await world.expectLedgerConsistent();
  });

  it('sets a rate and a setting; a value that is not one is refused in plain words', async () => {
    await open('grants');
    await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('heading', { level: 1, name: 'Settings' }).waitFor();
    await page.locator('#rates tbody tr').first().waitFor();
    await page.getByLabel('Model', { exact: true }).fill('claude-haiku-4-5-20251001');
    await page.getByLabel('Token kind').selectOption('input');
    await page.getByLabel('Credits per million tokens').fill('1200');
    await page.getByRole('button', { name: 'Set rate' }).click();
    await page.locator('#rate-status .ok').waitFor();
    await page.locator('#rates tr', { hasText: 'claude-haiku-4-5-20251001' }).filter({ hasText: '1,200' }).first().waitFor();

    // Seeded rates read as numbers from the start, never as a fraction or the epoch.
    const rates = (await page.locator('#rates').textContent())!;
    expect(rates).not.toMatch(/\d\/\d|1970/);
    expect(rates).toContain('from the start');

    // Settings are typed, described, and answered with the server's own message.
    const setting = page.getByLabel('max_turns_in_flight', { exact: true });
    expect(await setting.getAttribute('type')).toBe('number');
    expect(await page.locator('#setting-max_turns_in_flight-about').textContent()).toContain('Turns one person may run at once');
    await setting.fill('');
    await page.getByRole('button', { name: 'Save max_turns_in_flight' }).click();
    expect(await page.locator('#config [role=alert]').first().textContent()).toBe('Type a whole number.');
    await setting.fill('0');
    await page.getByRole('button', { name: 'Save max_turns_in_flight' }).click();
    await page.locator('#config [role=alert]', { hasText: 'max_turns_in_flight' }).waitFor();
    await setting.fill('6');
    await page.getByRole('button', { name: 'Save max_turns_in_flight' }).click();
    await page.locator('#config .ok', { hasText: 'Saved.' }).waitFor();
    // A map setting: one number field per credit.
    expect(await page.locator('fieldset', { hasText: 'low_balance_threshold' }).getByLabel('sonnet', { exact: true }).getAttribute('type')).toBe('number');
    // The system key comes from the server's environment: said so, not "not set".
    expect(await page.locator('#setting-anthropic_api_key-state').textContent()).toContain('Set by the server’s environment (ANTHROPIC_API_KEY)');
    const [row] = await world.db.query<{ n: number }>("SELECT count(*)::int AS n FROM admin_audit WHERE action LIKE 'config%'");
    expect(row.n).toBeGreaterThan(0);
    await world.expectAccessible(page);
    await world.screenshot(page, 'admin-settings');
  });

  it('shows the audit log, newest first, with names and details in words', async () => {
    await open('audit');
    await page.locator('#audit tbody tr').first().waitFor();
    const first = page.locator('#audit tbody tr').first();
    await first.locator('td[data-label=Who] a', { hasText: staff.displayName }).waitFor();
    expect(await first.textContent()).toContain('Changed a setting');
    expect(await first.locator('td[data-label=Details]').textContent()).toBe('value: 6');
    const table = (await page.locator('#audit').textContent())!;
    expect(table).toContain('Issued a grant');
    expect(table).toContain('Adjusted credit');
    expect(table).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}/); // no raw ids
    expect(table).not.toContain('{"');
    await world.expectAccessible(page);
    await world.screenshot(page, 'admin-audit');
  });

  it('shows a grant claimed elsewhere as claimed when the console comes back into view, and its link card as dead', async () => {
    await open('grants');
    const recipient = uniqueEmail('claimed-elsewhere');
    await page.getByLabel('Recipient email').first().fill(recipient);
    await page.getByLabel('Credit', { exact: true }).selectOption('haiku');
    await page.getByLabel('Amount (credits)').fill('20');
    await page.getByRole('button', { name: 'Issue grant' }).click();
    await page.locator('#issued #claim-url').waitFor();
    const row = page.locator('#grants tr', { hasText: recipient });
    expect(await row.locator('.badge').textContent()).toBe('issued');

    // The recipient claims it (another browser).
    const token = new URL((await page.locator('#claim-url').textContent())!).searchParams.get('token')!;
    const claimer = await world.person({ email: recipient });
    await world.post('/me/claims', { claimToken: token }, claimer.sessionToken);

    const reread = page.waitForResponse((r) => new URL(r.url()).pathname === '/admin/grants');
    await page.evaluate('document.dispatchEvent(new Event("visibilitychange"))');
    await reread;
    await row.locator('.badge', { hasText: 'claimed' }).waitFor();
    expect(await page.locator('#issued').textContent()).toContain(`The claim link for ${recipient} no longer works: the grant was claimed.`);
    expect(await page.locator('#claim-url').count()).toBe(0);
  });

  it('adds a webhook (secret shown once), lists it and removes it after a confirmation; shows mail and events', async () => {
    await open('ops');
    await page.locator('#mail').getByText('No mail.').waitFor();
    await page.getByLabel('URL').fill('http://127.0.0.1:9/hook');
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    expect(await page.locator('#webhook-status [role=alert]').textContent()).toContain('Choose at least one event type');
    await page.getByLabel('grant.issued').check();
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    await page.locator('#webhook-secret').waitFor();
    expect(await page.locator('#webhook-secret code').textContent()).toMatch(/^whsec_/);
    await page.locator('#webhooks li', { hasText: 'http://127.0.0.1:9/hook' }).waitFor();
    await page.getByRole('button', { name: 'Deliveries' }).click();
    await page.locator('.deliveries').waitFor();
    await page.locator('#events li', { hasText: 'grant.issued' }).first().waitFor();
    await world.expectAccessible(page);
    await world.screenshot(page, 'admin-ops');

    await page.getByRole('button', { name: 'Remove the webhook http://127.0.0.1:9/hook' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Remove' }).click();
    await page.locator('#webhooks li', { hasText: 'http://127.0.0.1:9/hook' }).waitFor({ state: 'detached' });
  });

  it('shows the ledger verification and runs a reconciliation on demand', async () => {
    // The scheduler may or may not have run by now: the page is checked against what the server
    // answered it, never against the scheduler's timing. First the state before any run, made
    // certain by answering the page's read as a server with no run yet would.
    await page.route('**/admin/reconciliation', (route) =>
      route.request().method() === 'GET'
        ? route.fulfill({ status: 404, contentType: 'application/json', body: JSON.stringify({ statusCode: 404, error: 'reconciliation_not_found', message: 'No reconciliation has run yet' }) })
        : route.fallback(),
    );
    await open('ledger');
    expect(await page.locator('#verify-result').textContent()).toMatch(/^Consistent: [\d,]+ flows checked/);
    expect(await page.locator('#recon-result').textContent()).toBe('No run yet.');
    await page.unroute('**/admin/reconciliation');

    const ran = page.waitForResponse((r) => new URL(r.url()).pathname === '/admin/reconciliation' && r.request().method() === 'POST');
    await page.getByRole('button', { name: 'Run now' }).click();
    const run = (await (await ran).json()) as { id: string; ok: boolean };
    expect(run.ok).toBe(true);
    await page.locator('#recon-status .ok', { hasText: 'Run finished: no findings.' }).waitFor();
    // The latest run shown is the one just asked for (or a later one, should the scheduler run between).
    await page.locator('#recon-result.ok[data-run-id]').waitFor();
    const shown = await page.locator('#recon-result').getAttribute('data-run-id');
    const [{ newer }] = await world.db.query<{ newer: boolean }>(
      'SELECT (SELECT started_at FROM reconciliation_runs WHERE id = $1) >= (SELECT started_at FROM reconciliation_runs WHERE id = $2) AS newer',
      [shown, run.id],
    );
    expect(newer).toBe(true);
    expect(await page.locator('#recon-result').textContent()).toContain('no findings.');
    await world.expectAccessible(page);
    await world.screenshot(page, 'admin-ledger');
  });

  it('says "1 finding" and tells each finding in words, the run status an error too', async () => {
    const finding = { kind: 'turn_without_consumption', detail: { turnId: '7c1d0000-0000-4000-8000-000000000001', personId: '0d6e0000-0000-4000-8000-000000000002' } };
    const body = JSON.stringify({ id: '11111111-1111-4111-8111-111111111111', trigger: 'manual', startedAt: new Date().toISOString(), finishedAt: new Date().toISOString(), ok: false, findings: [finding] });
    await page.route('**/admin/reconciliation', (route) => route.fulfill({ status: route.request().method() === 'GET' ? 200 : 201, contentType: 'application/json', body }));
    await open('ledger');
    await page.getByRole('button', { name: 'Run now' }).click();
    expect(await page.locator('#recon-status [role=alert]').textContent()).toBe('Run finished with 1 finding, listed above.');
    expect(await page.locator('#recon-result').textContent()).toMatch(/: 1 finding:$/);
    expect(await page.locator('#recon-findings').textContent()).toBe(`Turn ${finding.detail.turnId} (person ${finding.detail.personId}) ran on the service's key without a charge.`);
    expect(await page.locator('#recon-status .ok').count()).toBe(0);
    await page.unroute('**/admin/reconciliation');
  });

  it.each([360, 390])('fits a %i px wide screen, every section', async (width) => {
    await world.grant(uniqueEmail(`narrow${width}`), 'haiku', 5);
    const { page: narrow } = await world.page({ width, height: 800, authenticator: false });
    await world.signIn(narrow, staff);
    await narrow.goto('/admin#grants');
    await narrow.locator('#grants').waitFor();
    await world.expectNoHorizontalScroll(narrow);
    await world.screenshot(narrow, `admin-${width}`);
    for (const [hash, ready] of [['people', '#lookup'], ['settings', '#rates'], ['audit', '#audit'], ['ops', '#mail'], ['ledger', '#verify-result']]) {
      await narrow.goto(`/admin#${hash}`);
      await narrow.locator(ready).waitFor();
      await world.expectNoHorizontalScroll(narrow);
    }
    await world.screenshot(narrow, `admin-ledger-${width}`);
    await narrow.context().close();
  });
});
