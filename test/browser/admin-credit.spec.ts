import type { Page } from 'playwright-core';
import { FakeAnthropic } from '../support/fake-anthropic';
import { BrowserWorld, type Person } from './browser-world';

// The console's credit controls of issue 22: team pools (fund, debit with a confirmation, holds and
// members), service keys (shown once, copyable, revoked from a menu), a person's spend limit, and
// refunds of a person's charges and of a pool's.
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

  const poolBalance = async (id: string) => {
    const [row] = await world.db.query<{ amount: string }>("SELECT coalesce(sum(amount), 0)::text AS amount FROM credit.balances WHERE party = $1 AND asset = 'sonnet'", [`engagement:${id}`]);
    return Number(row.amount);
  };
  /** A fresh load of a console section (a hash change alone would keep the page's state). */
  const open = async (hash: string) => {
    await page.goto('about:blank');
    await page.goto(`/admin#${hash}`);
  };

  it('finds a pool by its team page address, funds it, and confirms every debit first', async () => {
    const owner = await world.person({ displayName: 'Team Owner' });
    const team = await world.post('/engagements', { name: 'Pool Team' }, owner.sessionToken);
    await open('pools');
    await page.getByLabel('Team engagement id or page address').fill('not-an-id');
    await page.getByRole('button', { name: 'Open pool' }).click();
    expect(await page.locator('#pool-find-status [role=alert]').textContent()).toContain('Type a team engagement id');
    await page.getByLabel('Team engagement id or page address').fill(`${world.origin}/teams/${team.id}`);
    await page.getByRole('button', { name: 'Open pool' }).click();
    await page.waitForURL(`**/admin#pools/${team.id}`);
    await page.locator('#fund').waitFor();

    await page.getByLabel('Credit', { exact: true }).selectOption('sonnet');
    await page.getByLabel('Amount').fill('5000');
    await page.getByLabel('Reason (recorded in the audit log)').fill('quarterly budget');
    await page.getByRole('button', { name: 'Record adjustment' }).click();
    await page.locator('#fund-status .ok').waitFor();
    expect(await page.locator('#fund-status').textContent()).toBe('+5,000 sonnet recorded on the pool.');
    expect(await page.locator('#pool-adjustments tbody tr').first().locator('td[data-label=Credits]').textContent()).toBe('+5,000 sonnet');
    expect(await poolBalance(team.id)).toBe(5000);
    // The pool as staff see it (GET /admin/engagements/:id/credit), read again after the adjustment.
    await page.locator('#pool-credit #balances tbody tr', { hasText: '5,000' }).waitFor();
    expect(await page.locator('#pool-credit #balances tbody tr').first().locator('th').textContent()).toBe('sonnet');
    expect(await page.locator('#pool-members tbody tr').first().textContent()).toContain('Team Owner');
    expect(await page.locator('#pool-members tbody tr td[data-label=Role]').first().textContent()).toBe('owner');

    // −2,000: asked first, with what it does; cancelling records nothing.
    await page.getByLabel('Amount').fill('-2000');
    await page.getByLabel('Reason (recorded in the audit log)').fill('moved to another team');
    await page.getByRole('button', { name: 'Record adjustment' }).click();
    const dialog = page.getByRole('dialog');
    expect(await dialog.locator('h2').textContent()).toBe('Take 2,000 sonnet from this pool?');
    expect(await page.locator('#pool-debit-effect').textContent()).toContain('The pool loses 2,000 sonnet.');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect(await poolBalance(team.id)).toBe(5000);
    await page.getByRole('button', { name: 'Record adjustment' }).click();
    await dialog.getByRole('button', { name: 'Take the credit' }).click();
    await page.locator('#fund-status .ok', { hasText: '−2,000 sonnet' }).waitFor();
    expect(await page.locator('#pool-adjustments tbody tr').first().locator('td[data-label=Credits]').textContent()).toBe('−2,000 sonnet');
    expect(await poolBalance(team.id)).toBe(3000);
    const audit = await world.db.query<{ action: string }>('SELECT action FROM admin_audit WHERE subject_id = $1 ORDER BY created_at', [team.id]);
    expect(audit.map((a) => a.action)).toEqual(['pool.adjust', 'pool.adjust']);

    // An id no team has: the server's reason, and no controls to fund or refund a pool that isn't there.
    await open('pools/00000000-0000-4000-8000-000000000000');
    await page.locator('#pool > [role=alert]').waitFor();
    expect(await page.locator('#pool > [role=alert]').textContent()).toContain('No such engagement');
    expect(await page.locator('#fund, #pool-history-title').count()).toBe(0);
    // styled as an error like every other refusal, and no link to a team's page that isn't there
    expect(await page.locator('#pool > [role=alert]').getAttribute('class')).toBe('error');
    expect(await page.locator('#pool a[href^="/teams/"]').count()).toBe(0);
    await world.expectAccessible(page);
    await world.screenshot(page, 'admin-pool');
    await world.expectLedgerConsistent();
  });

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

  it('sets and removes staff’s spend limit on a person’s page', async () => {
    const person = await world.person({ displayName: 'Limited Person', grant: { asset: 'sonnet', amount: 300 } });
    await open(`people/${person.id}`);
    await page.locator('#person-limit').waitFor();
    await page.getByLabel('Staff’s limit (credits)').fill('1500');
    await page.locator('#person-limit-input-period').selectOption('day');
    await page.locator('#person-limit').getByRole('button', { name: 'Save limit' }).click();
    await page.locator('#person-limit-status .ok').waitFor();
    expect(await page.locator('#person-staff-limit').textContent()).toBe('1,500 credits a day');
    expect(await page.locator('#person-self-limit').textContent()).toBe('No limit');
    expect(await page.locator('#person-limit-spent').textContent()).toBe('0 credits today');
    const [stored] = await world.db.query<{ row: unknown }>('SELECT to_jsonb(p) AS row FROM persons p WHERE id = $1', [person.id]);
    expect(JSON.stringify(stored.row)).toContain('1500');
    await page.getByLabel('Staff’s limit (credits)').fill('');
    await page.locator('#person-limit').getByRole('button', { name: 'Save limit' }).click();
    await page.locator('#person-limit-status .ok', { hasText: 'removed' }).waitFor();
    expect(await page.locator('#person-staff-limit').textContent()).toBe('No limit');
    const audit = await world.db.query<{ action: string }>('SELECT action FROM admin_audit WHERE subject_id = $1 ORDER BY created_at', [person.id]);
    expect(audit.map((a) => a.action)).toEqual(['person.limit_set', 'person.limit_removed']);
  });

  it('refunds part of a turn’s charge, then the rest, never more', async () => {
    const person = await world.person({ displayName: 'Refunded Person', grant: { asset: 'sonnet', amount: 2000 } });
    const turn = await world.converse(person, 'please charge me');
    const charged = turn.credit.charged as number;
    expect(charged).toBeGreaterThan(1);
    await open(`people/${person.id}`);
    const row = page.locator('#charges tbody tr').first();
    await row.waitFor();
    expect(await row.locator('td[data-label=Charged]').textContent()).toBe(`−${charged.toLocaleString('en')} sonnet`);
    await row.getByText('Actions', { exact: true }).click();
    await page.getByRole('button', { name: /^Refund the charge of/ }).click();
    const dialog = page.getByRole('dialog');
    // The reason is required, as in a form.
    await dialog.getByRole('button', { name: 'Refund' }).click();
    expect(await dialog.isVisible()).toBe(true);
    await dialog.getByLabel('Credits to refund').fill('1');
    await dialog.getByLabel('Reason (recorded in the audit log)').fill('answer was cut off');
    await dialog.getByRole('button', { name: 'Refund' }).click();
    await page.locator('#refund-status .ok').waitFor();
    expect(await page.locator('#refund-status').textContent()).toBe(`Refunded 1 sonnet; 1 of the ${charged.toLocaleString('en')} charged is refunded in total.`);
    await world.screenshot(page, 'admin-refund');

    // The rest: an empty amount refunds what is left.
    await row.getByText('Actions', { exact: true }).click();
    await page.getByRole('button', { name: /^Refund the charge of/ }).click();
    await dialog.getByLabel('Reason (recorded in the audit log)').fill('the rest as well');
    await dialog.getByRole('button', { name: 'Refund' }).click();
    await page.locator('#refund-status .ok', { hasText: `${charged.toLocaleString('en')} of the ${charged.toLocaleString('en')}` }).waitFor();
    // The history names it a refund, with staff's reason.
    await page.locator('table.history tr', { hasText: 'Refund · the rest as well' }).first().waitFor(); // one reversal per charged stage
    const [{ refunded }] = await world.db.query<{ refunded: number }>("SELECT coalesce(sum(amount), 0)::int AS refunded FROM credit.flows WHERE kind = 'reversal' AND person_id = $1", [person.id]);
    expect(refunded).toBe(charged);

    // A Messages API call: its own row, refunded by the call's id.
    const { key } = await world.post('/me/api-keys', { name: 'script' }, person.sessionToken);
    const call = await fetch(`${world.origin}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': key, 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'claude-haiku-4-5-20251001', max_tokens: 200, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(call.status).toBe(200);
    const callId = call.headers.get('loomworks-request-id')!;
    await open(`people/${person.id}`);
    const callRow = page.locator('#charges tbody tr', { hasText: 'API call' });
    await callRow.waitFor();
    await callRow.getByText('Actions', { exact: true }).click();
    await page.getByRole('button', { name: `Refund the charge of ${await callRow.locator('td[data-label=When]').textContent()} (${callId})` }).click();
    await dialog.getByLabel('Reason (recorded in the audit log)').fill('test call');
    await dialog.getByRole('button', { name: 'Refund' }).click();
    await page.locator('#refund-status .ok').waitFor();
    const [{ n }] = await world.db.query<{ n: number }>("SELECT count(*)::int AS n FROM credit.flows WHERE kind = 'reversal' AND person_id = $1 AND metadata->>'turnId' = $2", [person.id, callId]);
    expect(n).toBeGreaterThan(0);
    await world.expectAccessible(page);
    await world.expectLedgerConsistent();
  });

  it('refunds what a team’s pool paid — a member’s turn, a service’s capture — from the pool’s page', async () => {
    const owner = await world.person({ displayName: 'Pool Owner' });
    const team = await world.post('/engagements', { name: 'Refund Team' }, owner.sessionToken);
    await world.post(`/admin/engagements/${team.id}/adjustments`, { asset: 'sonnet', amount: 3000, reason: 'budget' }, staff.sessionToken);
    const turn = await world.post(`/engagements/${team.id}/converse`, { message: 'charge the pool' }, owner.sessionToken);
    const charged = turn.credit.charged as number;
    expect(charged).toBeGreaterThan(0);
    // A service's capture on the pool: no person paid it, so no person's page shows it.
    const { key } = await world.post('/admin/service-keys', { name: 'pool-service' }, staff.sessionToken);
    const service = (path: string, body: unknown, idempotencyKey?: string) =>
      fetch(`${world.origin}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...(idempotencyKey && { 'idempotency-key': idempotencyKey }) },
        body: JSON.stringify(body),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as { id: string } }));
    const authorization = await service('/credit/authorizations', { engagementId: team.id, amount: 50, asset: 'sonnet' }, `pool-auth-${team.id}`);
    expect(authorization.status).toBe(201);
    expect((await service(`/credit/authorizations/${authorization.body.id}/capture`, { amount: 40 })).status).toBe(200);
    const before = await poolBalance(team.id);

    await open(`pools/${team.id}`);
    const captureRow = page.locator('#charges tbody tr', { hasText: 'Captured authorization' });
    const turnRow = page.locator('#charges tbody tr', { hasText: 'Conversation turn' });
    await captureRow.waitFor();
    expect(await captureRow.locator('td[data-label=Charged]').textContent()).toBe('−40 sonnet');
    expect(await turnRow.locator('td[data-label=Charged]').textContent()).toBe(`−${charged.toLocaleString('en')} sonnet`);
    // The pool's history tells the service's authorization (held, then captured) from a turn.
    const captured = page.locator('table.history tr', { hasText: 'Captured by a service (authorization)' });
    expect(await captured.locator('td[data-label=What]').textContent()).toBe('Captured by a service (authorization) · reserved 50 when authorized');
    expect(await captured.locator('td[data-label=Credits]').textContent()).toBe('−40 sonnet');
    expect(await page.locator('table.history tr', { hasText: 'in progress' }).count()).toBe(0);

    // Part of the capture: back to the pool.
    await captureRow.getByText('Actions', { exact: true }).click();
    await page.getByRole('button', { name: `Refund the charge of ${await captureRow.locator('td[data-label=When]').textContent()} (${authorization.body.id})` }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Credits to refund').fill('15');
    await dialog.getByLabel('Reason (recorded in the audit log)').fill('image failed to render');
    await dialog.getByRole('button', { name: 'Refund' }).click();
    await page.locator('#refund-status .ok').waitFor();
    expect(await page.locator('#refund-status').textContent()).toBe('Refunded 15 sonnet; 15 of the 40 charged is refunded in total.');
    expect(await poolBalance(team.id)).toBe(before + 15);
    // The page reads the pool again: the refund in its charges, its balance and its history.
    await page.locator('#charges tbody tr', { hasText: 'Captured authorization' }).locator('td[data-label=Refunded]', { hasText: '+15 sonnet' }).waitFor();
    await page.locator('#pool-credit #balances tbody tr', { hasText: (before + 15).toLocaleString('en') }).waitFor();

    // The whole turn (an empty amount: all that is left).
    await turnRow.getByText('Actions', { exact: true }).click();
    await page.getByRole('button', { name: `Refund the charge of ${await turnRow.locator('td[data-label=When]').textContent()} (${turn.turnId})` }).click();
    await dialog.getByLabel('Reason (recorded in the audit log)').fill('wrong team');
    await dialog.getByRole('button', { name: 'Refund' }).click();
    await page.locator('#refund-status .ok', { hasText: `${charged.toLocaleString('en')} of the ${charged.toLocaleString('en')}` }).waitFor();
    expect(await poolBalance(team.id)).toBe(before + 15 + charged);
    const refunds = await world.db.query<{ action: string; subject_id: string }>("SELECT action, subject_id FROM admin_audit WHERE action = 'refund.create' AND details->>'payer' = $1 ORDER BY created_at", [`engagement:${team.id}`]);
    expect(refunds.map((r) => r.subject_id)).toEqual([authorization.body.id, turn.turnId]);
    await world.expectAccessible(page);
    await world.screenshot(page, 'admin-pool-refund');
    await world.expectLedgerConsistent();
  });

  it.each([1280, 390])('fits a %i px screen: service keys, a pool, a person’s limit and charges', async (width) => {
    await page.setViewportSize({ width, height: 900 });
    await open('keys');
    await page.locator('#create-service-key').waitFor();
    await world.expectNoHorizontalScroll(page);
    await world.expectAccessible(page);
    // a pool that is there: an unknown one shows only the server's reason
    const owner = await world.person({ displayName: `Narrow Owner ${width}` });
    const team = await world.post('/engagements', { name: `Narrow Team ${width}` }, owner.sessionToken);
    await open(`pools/${team.id}`);
    await page.locator('#fund').waitFor();
    await world.expectNoHorizontalScroll(page);
    await world.screenshot(page, `admin-pool-${width}`);
    const person = await world.person({ displayName: 'Narrow Person', grant: { asset: 'sonnet', amount: 900 } });
    await world.converse(person, 'one turn');
    await open(`people/${person.id}`);
    await page.locator('#charges tbody tr').first().waitFor();
    await world.expectNoHorizontalScroll(page);
    await world.expectAccessible(page);
    await world.screenshot(page, `admin-person-credit-${width}`);
    await world.screenshot(page, `admin-service-keys-${width}`);
    await page.setViewportSize({ width: 1280, height: 900 });
  });
});
