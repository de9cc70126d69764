import type { Page } from 'playwright-core';
import { FakeAnthropic } from '../support/fake-anthropic';
import { SmtpCatcher } from '../support/smtp-catcher';
import { uniqueEmail } from '../support/test-context';
import { BrowserWorld, type Person } from './browser-world';

// The member's pages: claim, signup (mail on: the emailed code), login, recovery, account.
describe('member pages in Chromium', () => {
  let world: BrowserWorld;
  let llm: FakeAnthropic;
  let smtp: SmtpCatcher;

  beforeAll(async () => {
    llm = await new FakeAnthropic().start();
    smtp = await SmtpCatcher.start();
    world = await BrowserWorld.start({ ANTHROPIC_BASE_URL: llm.url, ANTHROPIC_API_KEY: 'fake-key', SMTP_URL: smtp.url, OUTBOX_POLL_MS: '200' });
  });
  afterAll(async () => {
    await world?.close();
    await llm?.stop();
    await smtp?.stop();
  });

  const alertText = (page: Page) => page.locator('[role=alert]').first().textContent();

  it('claims a grant (passkey, authenticator app), lands on the account, signs out and back in', async () => {
    const email = uniqueEmail('claimer');
    const { claimToken } = await world.grant(email, 'sonnet', 750);
    const { page } = await world.page();

    await page.goto(`/claim?token=${claimToken}`);
    await page.locator('#grant').waitFor();
    expect(await page.locator('#amount').textContent()).toBe('750');
    expect(await page.locator('#hint').textContent()).toMatch(/^c\*\*\*@e\*\*\*\.com$/);
    await world.expectAccessible(page);
    await world.screenshot(page, 'claim');
    await page.getByRole('button', { name: 'Create a passkey' }).click();

    await page.locator('#totp').waitFor();
    expect(await page.locator('#qr svg').count()).toBe(1);
    await world.expectAccessible(page);
    await world.screenshot(page, 'claim-totp');
    const me = { totpSecret: (await page.locator('#secret').textContent())!, lastStep: 0 };
    await page.getByLabel('6-digit code from the app').fill(await world.code(me));
    await page.getByRole('button', { name: 'Finish' }).click();
    expect(await page.locator('#welcome').textContent()).toContain('750 sonnet credits are yours');

    await page.getByRole('link', { name: 'Go to your account' }).click();
    await page.locator('#balances').waitFor();
    expect(await page.locator('#balances tbody tr').first().textContent()).toContain('750');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL('**/login');

    await page.getByLabel('Email').fill(email);
    // A wrong code: one plain answer, whatever failed.
    await page.getByLabel('Code from your authenticator app').fill('000000');
    await page.getByRole('button', { name: 'Sign in' }).click();
    expect(await alertText(page)).toContain('That did not work: check the email address, the passkey and the code');
    await page.getByLabel('Code from your authenticator app').fill(await world.code(me));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL('**/account');
    await page.locator('#who').waitFor();
    expect(await page.locator('#who').textContent()).toContain(email);
    const cookies = await page.context().cookies();
    expect(cookies.find((c) => c.name === 'loomworks_session')).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
    await world.expectLedgerConsistent();
    await page.context().close();
  });

  it('tells in plain words what is wrong with a claim link', async () => {
    const { page } = await world.page({ authenticator: false });
    await page.goto('/claim?token=not-a-real-token');
    expect(await alertText(page)).toContain('This claim link is not valid');
    await world.expectAccessible(page);

    const { id, claimToken } = await world.grant(uniqueEmail('revoked'));
    await world.db.query("UPDATE credit.grants SET status = 'revoked' WHERE id = $1", [id]);
    await page.goto(`/claim?token=${claimToken}`);
    expect(await alertText(page)).toContain('This grant was withdrawn');

    await page.goto('/claim');
    expect(await alertText(page)).toContain('This link has no claim token');
    await page.context().close();
  });

  it('signs up without a grant, with the code mailed to the address (mail is on)', async () => {
    const email = uniqueEmail('plain');
    const { page } = await world.page();
    await page.goto('/signup');
    await world.expectAccessible(page);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Your name').fill('Plain Person');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('button', { name: 'Create a passkey' }).click();
    await page.locator('#totp').waitFor();
    const me = { totpSecret: (await page.locator('#secret').textContent())!, lastStep: 0 };

    // A wrong mailed code is refused, and said so.
    await page.getByLabel('Code from the email we sent you').fill('000000');
    await page.getByLabel('6-digit code from the app').fill(await world.code(me));
    await page.getByRole('button', { name: 'Finish' }).click();
    expect(await alertText(page)).toContain('The code mailed to this address is missing or not valid');

    const mail = await waitForMail(smtp, email);
    const mailed = /^\s*(\d{6})\s*$/m.exec(mail.text)![1];
    await page.getByLabel('Code from the email we sent you').fill(mailed);
    await page.getByLabel('6-digit code from the app').fill(await world.code(me));
    await page.getByRole('button', { name: 'Finish' }).click();
    expect(await page.locator('#welcome').textContent()).toBe('Welcome, Plain Person (member).');
    expect(await page.locator('#next').getAttribute('href')).toBe('/account');
    await page.context().close();
  });

  it('says in plain words when this device has no passkey', async () => {
    const member = await world.person({ grant: { asset: 'haiku', amount: 10 } });
    const { page } = await world.page(); // its authenticator holds no passkey of this person
    await page.goto('/login');
    await world.expectAccessible(page);
    await page.getByLabel('Email').fill(member.email);
    await page.getByLabel('Code from your authenticator app').fill(await world.code(member));
    await page.getByRole('button', { name: 'Sign in' }).click();
    const text = await alertText(page);
    expect(text).toContain('No passkey was used');
    expect(text).not.toMatch(/w3\.org|operation either timed out/);
    await world.screenshot(page, 'login-no-passkey');
    await page.context().close();
  });

  it('tells an unknown address to check it, not that the device has no passkey', async () => {
    const { page } = await world.page();
    await page.goto('/login');
    await page.getByLabel('Email').fill(uniqueEmail('nobody'));
    await page.getByLabel('Code from your authenticator app').fill('123456');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const text = (await alertText(page))!;
    expect(text).toContain('no passkey on this device belongs to this email address. Check the address');
    expect(text).not.toContain('this device has no passkey');
    await page.context().close();
  });

  it('says how long to wait when throttled, from the server’s Retry-After', async () => {
    const { page } = await world.page();
    await page.route('**/auth/login/begin', (route) =>
      route.fulfill({ status: 429, headers: { 'retry-after': '881' }, contentType: 'application/json', body: JSON.stringify({ statusCode: 429, error: 'rate_limited', message: 'Too many attempts' }) }),
    );
    await page.goto('/login');
    await page.getByLabel('Email').fill(uniqueEmail('throttled'));
    await page.getByLabel('Code from your authenticator app').fill('123456');
    await page.getByRole('button', { name: 'Sign in' }).click();
    expect(await alertText(page)).toBe('Too many attempts. Try again in 15 minutes.');
    await page.context().close();
  });

  it('recovers an account from a staff recovery link: new passkey and authenticator', async () => {
    const staff = await world.person({ admin: true });
    const member = await world.person({ grant: { asset: 'haiku', amount: 40 } });
    const { recoveryUrl } = await world.post(`/admin/persons/${member.id}/recovery`, { sendEmail: false }, staff.sessionToken);
    const { page } = await world.page();

    await page.goto('/recover?token=nope');
    expect(await alertText(page)).toContain('No such recovery link');

    await page.goto(recoveryUrl);
    await page.locator('#recovery').waitFor();
    await world.expectAccessible(page);
    await world.screenshot(page, 'recover');
    await page.getByRole('button', { name: 'Create a new passkey' }).click();
    await page.locator('#totp').waitFor();
    const me = { totpSecret: (await page.locator('#secret').textContent())!, lastStep: 0 };
    await page.getByLabel('6-digit code from the app').fill(await world.code(me));
    await page.getByRole('button', { name: 'Finish' }).click();
    await page.locator('#welcome').waitFor();
    // The old session ended with the old passkeys.
    const old = await fetch(`${world.origin}/me`, { headers: { authorization: `Bearer ${member.sessionToken}` } });
    expect(old.status).toBe(401);
    await page.getByRole('link', { name: 'Continue' }).click();
    await page.locator('#balances').waitFor();
    expect(await page.locator('#balances').textContent()).toContain('40');
    await page.context().close();
  });

  describe('the account page', () => {
    let member: Person;
    let page: Page;

    beforeAll(async () => {
      member = await world.person({ grant: { asset: 'sonnet', amount: 1000 } });
      await world.converse(member, 'hello');
      await world.converse(member, 'and again');
      ({ page } = await world.page());
      await world.signIn(page, member);
      await page.goto('/account');
      await page.locator('#balances').waitFor();
    });
    afterAll(() => page.context().close());

    it('shows balances with held credit, the tier, usage as a chart and charges grouped by turn', async () => {
      expect(await page.locator('#tier').textContent()).toContain('sonnet');
      const row = page.locator('#balances tbody tr').first();
      expect(await row.locator('th').textContent()).toBe('sonnet');
      expect(await page.locator('#balances thead').textContent()).toContain('Held');
      await page.locator('.chart canvas').first().waitFor();
      const turns = page.locator('table.history tr.turn');
      expect(await turns.count()).toBe(2);
      const turn = await turns.first().textContent();
      expect(turn).toContain('Conversation turn');
      expect(turn).toMatch(/classify: claude-haiku-4-5-20251001, 300 in \/ 2 out tokens/);
      expect(turn).toMatch(/respond: claude-sonnet-4-6, [\d,]+ in \/ 340 out tokens/);
      expect(await page.locator('table.history').textContent()).toContain('Grant claimed');
      await world.expectAccessible(page);
      await world.screenshot(page, 'account');
    });

    it('adds, renames and removes passkeys (never the last), in plain words when a device already has one', async () => {
      const passkeys = page.locator('#passkeys ul.rows > li');
      expect(await passkeys.count()).toBe(1);
      await page.getByLabel('Code from your authenticator app').fill(await world.code(member));
      await page.getByLabel('Name for the new passkey (optional)').fill('Laptop');
      await page.getByRole('button', { name: 'Add passkey' }).click();
      await page.locator('#passkeys-status .ok').waitFor();
      await passkeys.nth(1).waitFor();

      // The same device again: the browser refuses (it holds one), and the page says so plainly.
      await page.getByLabel('Code from your authenticator app').fill(await world.code(member));
      await page.getByRole('button', { name: 'Add passkey' }).click();
      expect(await page.locator('#passkeys-status [role=alert]').textContent()).toContain('This device already holds a passkey');

      await page.getByRole('button', { name: 'Rename Laptop' }).click();
      await page.getByLabel('New name').fill('Work laptop');
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await page.locator('.passkey-name', { hasText: 'Work laptop' }).waitFor();

      // Remove the first (the software one), confirming in the dialog; then the last one is kept.
      const first = (await passkeys.first().locator('.passkey-name').textContent())!;
      await page.getByRole('button', { name: `Remove ${first}` }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Remove' }).click();
      await page.locator('#passkeys-status .ok', { hasText: 'removed' }).waitFor();
      await page.locator('.passkey-name', { hasText: first }).waitFor({ state: 'detached' });
      expect(await passkeys.count()).toBe(1);
      await page.getByRole('button', { name: 'Remove Work laptop' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Remove' }).click();
      expect(await page.locator('#passkeys-status [role=alert]').textContent()).toContain('only passkey');
    });

    it('sets and removes the own LLM key without ever showing it; a reload shows it is set', async () => {
      expect(await page.locator('#llm-key-state').textContent()).toContain('No key of yours is stored');
      await page.getByLabel('API key').fill('sk-ant-test-key-123');
      await page.getByRole('button', { name: 'Save key' }).click();
      await page.locator('#llm-status .ok').waitFor();
      expect(await page.getByLabel('API key').inputValue()).toBe('');
      expect(await page.content()).not.toContain('sk-ant-test-key-123');
      const [row] = await world.db.query<{ set: boolean }>('SELECT llm_key_encrypted IS NOT NULL AS set FROM persons WHERE id = $1', [member.id]);
      expect(row.set).toBe(true);
      await page.reload();
      await page.locator('#llm-key-state.ok', { hasText: 'A key of yours is stored' }).waitFor();
      expect(await page.content()).not.toContain('sk-ant-test-key-123');
      await page.getByRole('button', { name: 'Remove key' }).click();
      await page.locator('#llm-status .ok', { hasText: 'removed' }).waitFor();
      await page.locator('#llm-key-state', { hasText: 'No key of yours is stored' }).waitFor();
    });

    it('shows a turn still running as in progress with what it holds, not as a turn without a charge', async () => {
      llm.behaviour.latencyMs = 8000;
      const turn = world.converse(member, 'a slow one');
      try {
        // Its hold is in the ledger once the turn is past placement.
        for (let i = 0; i < 100; i++) {
          const [{ n }] = await world.db.query<{ n: number }>("SELECT count(*)::int AS n FROM credit.holds WHERE person_id = $1 AND status = 'active'", [member.id]);
          if (n > 0) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        await page.reload();
        const running = page.locator('table.history tr.turn').first();
        await running.waitFor();
        expect(await running.textContent()).toMatch(/^[^]*Turn in progress · [\d,]+ reserved until it finishes[^]*[\d,]+ sonnet held$/);
        expect(await running.textContent()).not.toContain('without a charge');
        await world.screenshot(page, 'account-turn-in-progress');
      } finally {
        llm.behaviour.latencyMs = 0;
        await turn;
      }
      await page.reload();
      expect(await page.locator('table.history tr.turn').first().textContent()).toContain('Conversation turn');
      await world.expectLedgerConsistent();
    });

    it('claims a second grant from its link, and refuses a bad one', async () => {
      await page.getByLabel('Claim link from your mail').fill(`${world.origin}/claim?token=bogus`);
      await page.getByRole('button', { name: 'Claim' }).click();
      expect(await page.locator('#claim-status [role=alert]').textContent()).toContain('No such grant');
      const { claimToken } = await world.grant(member.email, 'opus', 25, 'promo');
      await page.getByLabel('Claim link from your mail').fill(`${world.origin}/claim?token=${claimToken}`);
      await page.getByRole('button', { name: 'Claim' }).click();
      await page.locator('#claim-status .ok').waitFor();
      expect(await page.locator('#claim-status').textContent()).toContain('25 opus credits added');
      await page.locator('#balances th', { hasText: 'opus' }).waitFor();
    });

    it.each([360, 390])('fits a %i px wide screen', async (width) => {
      await page.setViewportSize({ width, height: 800 });
      await page.reload();
      await page.locator('table.history').waitFor();
      await world.expectNoHorizontalScroll(page);
      await page.locator('#history-title').scrollIntoViewIfNeeded();
      await world.expectAccessible(page);
      await world.screenshot(page, `account-${width}`);
      await page.setViewportSize({ width: 1280, height: 900 });
    });

    it('signs out: the account page then asks to sign in', async () => {
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.waitForURL('**/login');
      await page.goto('/account');
      expect(await alertText(page)).toContain('You are not signed in');
      await world.expectLedgerConsistent();
    });
  });

  it('fits the claim and login pages on a 360 px screen', async () => {
    const { claimToken } = await world.grant(uniqueEmail('narrow'));
    const { page } = await world.page({ width: 360, height: 740 });
    await page.goto(`/claim?token=${claimToken}`);
    await page.locator('#grant').waitFor();
    await world.expectNoHorizontalScroll(page);
    await world.screenshot(page, 'claim-360');
    await page.goto('/login');
    await page.locator('#login').waitFor();
    await world.expectNoHorizontalScroll(page);
    await page.context().close();
  });
});

async function waitForMail(smtp: SmtpCatcher, to: string) {
  for (let i = 0; i < 200; i++) {
    const [mail] = smtp.to(to);
    if (mail) return mail;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no mail to ${to}`);
}

