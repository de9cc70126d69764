import { emailHashes } from '@loomworks/credit';
import { HoldsService } from '@loomworks/credit/staff';
import { chargeTurn } from '../support/charge-turn';
import { TestContext, type SignedIn, unique, uniqueEmail, tokenOf } from '../support/test-context';

describe('admin surface over HTTP', () => {
  let ctx: TestContext;
  let admin: SignedIn;
  let member: SignedIn;

  beforeAll(async () => {
    ctx = await TestContext.create();
    admin = await ctx.admin();
    member = await ctx.signedInPerson();
  });
  afterEach(() => ctx.expectLedgerConsistent());
  afterAll(() => ctx.close());

  const post = (path: string, body?: object, who = admin) => ctx.http().post(path).set(ctx.as(who)).send(body);
  const get = (path: string, who = admin) => ctx.http().get(path).set(ctx.as(who));
  const issue = (recipientEmail: string, extra: object = {}) =>
    post('/admin/grants', { recipientEmail, asset: 'sonnet', kind: 'welcome', amount: 2000, ...extra });

  it('runs a whole grant lifecycle through the API alone', async () => {
    const email = uniqueEmail('lifecycle', 'gmail.com');
    // issue → claim through signup
    const issued = await issue(email).expect(201);
    expect(issued.body.grant).toMatchObject({ asset: 'sonnet', kind: 'welcome', amount: 2000, recipientEmail: email, status: 'issued', issuedBy: admin.person.id });
    // no SMTP_URL in this suite: nothing is mailed, the answer says so and carries the URL
    expect(issued.body.mail).toEqual({ status: 'off' });
    const claimToken = tokenOf(issued.body.claimUrl);
    expect(issued.body.claimUrl).toBe(`http://localhost:3000/claim?token=${claimToken}`);
    const started = await ctx.http().post('/claim/grant').send({ claimToken }).expect(200);
    const person = await ctx.finishSignup(email, started.body.registrationId, started.body.options, claimToken);

    // balances
    const credit = await get(`/admin/persons/${person.person.id}/credit`).expect(200);
    expect(credit.body.balances).toEqual([{ asset: 'sonnet', amount: 2000, held: 0 }]);

    // a turn: hold, then settle (release, charge)
    await chargeTurn(ctx.get(HoldsService), person.person.id, [
      { stage: 'respond', model: 'claude-sonnet-4-6', usage: { input: 1200, output: 340, cacheRead: 0, cacheWrite: 0 } },
    ]);
    const after = await get(`/admin/persons/${person.person.id}/credit`).expect(200);
    expect(after.body.balances).toEqual([{ asset: 'sonnet', amount: 1991, held: 0 }]);
    expect(after.body.flows.map((f: { kind: string }) => f.kind)).toEqual(['consumption', 'release', 'hold', 'issuance']);

    // suspend → reactivate → delete
    expect((await post(`/admin/persons/${person.person.id}/suspend`).expect(200)).body.accountStatus).toBe('suspended');
    await ctx.http().get('/me').set(ctx.as(person)).expect(200);
    expect((await post(`/admin/persons/${person.person.id}/reactivate`).expect(200)).body.accountStatus).toBe('active');
    const deleted = await post(`/admin/persons/${person.person.id}/delete`).expect(200);
    expect(deleted.body).toMatchObject({ accountStatus: 'deleted', email: `deleted_${emailHashes(email).exactHash}@deleted.invalid` });
    await ctx.http().get('/me').set(ctx.as(person)).expect(401);
    expect((await get(`/admin/persons/${person.person.id}/credit`).expect(200)).body.balances).toEqual([{ asset: 'sonnet', amount: 0, held: 0 }]);

    // cooling refuses a Gmail variant; an override with a note succeeds
    const variant = email.replace('lifecycle.', 'lifecycle').replace('@gmail.com', '+again@googlemail.com');
    const refused = await issue(variant).expect(409);
    expect(refused.body).toEqual({
      statusCode: 409, error: 'ineligible_email', message: expect.any(String),
      eligibility: 'cooling', matchedHash: emailHashes(email).normalizedHash,
    });
    expect((await get(`/admin/eligibility?email=${encodeURIComponent(variant)}`).expect(200)).body).toEqual({ eligibility: 'cooling', matchedHash: emailHashes(email).normalizedHash });
    const overridden = await issue(variant, { overrideEligibility: true, note: 'returning customer, approved by support' }).expect(201);
    expect(overridden.body.grant.status).toBe('issued');

    // the deleted person is still found by the address they had
    const found = await get(`/admin/persons?email=${encodeURIComponent(email)}`).expect(200);
    expect(found.body.items.map((p: { id: string }) => p.id)).toEqual([person.person.id]);

    // and everything was audited, newest first
    const audit = await get('/admin/audit?limit=5').expect(200);
    expect(audit.body.items.map((a: { action: string }) => a.action)).toEqual([
      'grant.issue', 'person.delete', 'person.reactivate', 'person.suspend', 'grant.issue',
    ]);
    expect(audit.body.nextCursor).toBeNull();
    const paged = await get('/admin/audit?limit=2').expect(200);
    const rest = await get(`/admin/audit?limit=5&cursor=${paged.body.nextCursor}`).expect(200);
    expect([...paged.body.items, ...rest.body.items]).toEqual(audit.body.items);
    expect(audit.body.items[1]).toMatchObject({ actorPersonId: admin.person.id, subjectType: 'person', subjectId: person.person.id, details: { endedSessions: 1 } });
  });

  describe('grants', () => {
    it('honours Idempotency-Key: same body → the first answer, other body → 409', async () => {
      const email = uniqueEmail();
      const key = unique('grant');
      const first = await issue(email).set('idempotency-key', key).expect(201);
      const again = await issue(email).set('idempotency-key', key).expect(201);
      expect(again.body).toEqual(first.body);
      expect((await issue(uniqueEmail()).set('idempotency-key', key).expect(409)).body.error).toBe('idempotency_key_reused');
      expect((await get(`/admin/grants?email=${encodeURIComponent(email)}`).expect(200)).body.items).toHaveLength(1);
    });

    it.each([
      [{ amount: 0 }, 'amount'],
      [{ amount: 1.5 }, 'amount'],
      [{ amount: 2 ** 53 }, 'amount'],
      [{ kind: 'gift' }, 'kind'],
      [{ recipientEmail: 'nope' }, 'recipientEmail'],
      [{ overrideEligibility: true }, 'note'],
      [{ surprise: 1 }, 'surprise'],
    ])('refuses %j with 400 naming %s', async (bad, field) => {
      const res = await issue(uniqueEmail(), bad).expect(400);
      expect(res.body.error).toBe('validation_failed');
      expect(res.body.fields.map((f: { field: string }) => f.field)).toContain(field);
    });

    it('refuses an asset that is not a configured tier', async () => {
      expect((await issue(uniqueEmail(), { asset: 'platinum' }).expect(400)).body.error).toBe('unknown_asset');
    });

    it('refuses a duplicate address with 409 and the matched hash', async () => {
      const email = uniqueEmail();
      await issue(email).expect(201);
      const res = await issue(email.toUpperCase()).expect(409);
      expect(res.body).toMatchObject({ error: 'ineligible_email', eligibility: 'duplicate_exact', matchedHash: emailHashes(email).exactHash });
    });

    it('revokes, reissues, and answers the documented errors', async () => {
      const issued = await issue(uniqueEmail()).expect(201);
      const id = issued.body.grant.id;
      const reissued = await post(`/admin/grants/${id}/reissue`).expect(200);
      expect(reissued.body.claimUrl).not.toBe(issued.body.claimUrl);
      // The expiry stays unless a new one is asked for (API.md).
      expect(reissued.body.grant.expiresAt).toBe(issued.body.grant.expiresAt);
      const longer = await post(`/admin/grants/${id}/reissue`, { expiresInDays: 90 }).expect(200);
      expect(Date.parse(longer.body.grant.expiresAt)).toBe(ctx.clock.now().getTime() + 90 * 86_400_000);
      expect((await post(`/admin/grants/${id}/reissue`, { expiresInDays: 0 }).expect(400)).body.error).toBe('validation_failed');
      const oldToken = tokenOf(issued.body.claimUrl);
      expect((await ctx.http().post('/claim/grant').send({ claimToken: oldToken }).expect(404)).body.error).toBe('grant_not_found');
      expect((await post(`/admin/grants/${id}/revoke`).expect(200)).body.status).toBe('revoked');
      expect((await post(`/admin/grants/${id}/reissue`).expect(410)).body.error).toBe('grant_revoked');
      const missing = '00000000-0000-4000-8000-000000000000';
      expect((await post(`/admin/grants/${missing}/revoke`).expect(404)).body.error).toBe('grant_not_found');
      expect((await post(`/admin/grants/${missing}/reissue`).expect(404)).body.error).toBe('grant_not_found');
      expect((await post('/admin/grants/not-a-uuid/revoke').expect(400)).body.fields).toEqual([{ field: 'id', message: 'id must be a UUID' }]);

      const claimed = await issue(member.email, { overrideEligibility: true, note: 'n' }).expect(201);
      await post('/me/claims', { claimToken: tokenOf(claimed.body.claimUrl) }, member).expect(201);
      expect((await post(`/admin/grants/${claimed.body.grant.id}/revoke`).expect(409)).body.error).toBe('grant_already_claimed');
      expect((await post(`/admin/grants/${claimed.body.grant.id}/reissue`).expect(409)).body.error).toBe('grant_already_claimed');
    });

    it('pages stably while grants are being issued', async () => {
      for (let i = 0; i < 7; i++) await issue(uniqueEmail('page')).expect(201);
      const before = (await get('/admin/grants?limit=200').expect(200)).body.items.map((g: { id: string }) => g.id);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        ctx.clock.advanceDays(1 / 86400);
        const [page]: [{ body: { items: { id: string }[]; nextCursor: string | null } }, unknown] = await Promise.all([
          get(`/admin/grants?limit=3${cursor ? `&cursor=${cursor}` : ''}`).expect(200),
          issue(uniqueEmail('concurrent')).expect(201),
        ]);
        seen.push(...page.body.items.map((g: { id: string }) => g.id));
        cursor = page.body.nextCursor;
      } while (cursor);
      expect(new Set(seen).size).toBe(seen.length);
      for (const id of before) expect(seen).toContain(id);
    });

    it('filters by status', async () => {
      const res = await get('/admin/grants?status=revoked').expect(200);
      expect(res.body.items.length).toBeGreaterThan(0);
      for (const g of res.body.items) expect(g.status).toBe('revoked');
      expect((await get('/admin/grants?status=lost').expect(400)).body.fields[0].field).toBe('status');
    });
  });

  describe('persons', () => {
    it('answers 409 invalid_account_transition with from/to, and 404 for unknown persons', async () => {
      const target = await ctx.signedInPerson();
      const res = await post(`/admin/persons/${target.person.id}/reactivate`).expect(409);
      expect(res.body).toEqual({ statusCode: 409, error: 'invalid_account_transition', message: expect.any(String), from: 'active', to: 'active' });
      const missing = '00000000-0000-4000-8000-000000000000';
      for (const action of ['suspend', 'reactivate', 'delete']) {
        expect((await post(`/admin/persons/${missing}/${action}`).expect(404)).body.error).toBe('person_not_found');
      }
      expect((await get(`/admin/persons/${missing}/credit`).expect(404)).body.error).toBe('person_not_found');
    });

    it('makes signed adjustments with a reason', async () => {
      const target = await ctx.signedInPerson();
      const credited = await post(`/admin/persons/${target.person.id}/adjustments`, { asset: 'haiku', amount: 40, reason: 'goodwill' }).expect(201);
      expect(credited.body).toMatchObject({ kind: 'adjustment', asset: 'haiku', amount: 40, direction: 'in', counterparty: 'system:issuer', metadata: { reason: 'goodwill', actorPersonId: admin.person.id } });
      const debited = await post(`/admin/persons/${target.person.id}/adjustments`, { asset: 'haiku', amount: -15, reason: 'correction' }).expect(201);
      expect(debited.body).toMatchObject({ amount: 15, direction: 'out' });
      expect((await get(`/admin/persons/${target.person.id}/credit`).expect(200)).body.balances).toEqual([{ asset: 'haiku', amount: 25, held: 0 }]);
      // the member sees the adjustments, never staff's note or id
      const own = await ctx.http().get('/me/flows').set(ctx.as(target)).expect(200);
      const adjustments = own.body.items.filter((f: { kind: string }) => f.kind === 'adjustment');
      expect(adjustments.map((f: { amount: number; metadata: object }) => [f.amount, f.metadata])).toEqual([[15, {}], [40, {}]]);
      expect(JSON.stringify(own.body)).not.toContain(admin.person.id);
      expect(JSON.stringify(own.body)).not.toContain('goodwill');
      for (const bad of [{ asset: 'haiku', amount: 0, reason: 'x' }, { asset: 'haiku', amount: 5 }, { asset: 'haiku', amount: 5, reason: '' }]) {
        expect((await post(`/admin/persons/${target.person.id}/adjustments`, bad).expect(400)).body.error).toBe('validation_failed');
      }
      expect((await post('/admin/persons/00000000-0000-4000-8000-000000000000/adjustments', { asset: 'haiku', amount: 5, reason: 'r' }).expect(404)).body.error).toBe('person_not_found');
    });

    it('honours Idempotency-Key on adjustments: a retry answers the first flow and adjusts once', async () => {
      const target = await ctx.signedInPerson();
      const adjust = (body: object) => post(`/admin/persons/${target.person.id}/adjustments`, body).set('idempotency-key', 'adj-once');
      const first = await adjust({ asset: 'haiku', amount: 40, reason: 'goodwill' }).expect(201);
      const again = await adjust({ asset: 'haiku', amount: 40, reason: 'goodwill' }).expect(201);
      expect(again.body).toEqual(first.body);
      expect((await adjust({ asset: 'haiku', amount: 41, reason: 'goodwill' }).expect(409)).body.error).toBe('idempotency_key_reused');
      expect((await get(`/admin/persons/${target.person.id}/credit`).expect(200)).body.balances).toEqual([{ asset: 'haiku', amount: 40, held: 0 }]);
    });

    it("shows a person's held credit and active holds beside the balances", async () => {
      const target = await ctx.signedInPerson();
      await post(`/admin/persons/${target.person.id}/adjustments`, { asset: 'haiku', amount: 100, reason: 'credit' }).expect(201);
      const placed = await ctx.get(HoldsService).place({
        personId: target.person.id, turnId: '00000000-0000-4000-b000-000000000001',
        classify: { inputTokens: 200, maxTokens: 10 }, respond: { inputTokens: 300, maxTokens: 1024 },
      });
      if (placed.status !== 'placed') throw new Error('not placed');
      const view = await get(`/admin/persons/${target.person.id}/credit`).expect(200);
      expect(view.body.balances).toEqual([{ asset: 'haiku', amount: 93, held: 7 }]);
      expect(view.body.holds).toEqual([{
        id: placed.hold.id, asset: 'haiku', amount: 7, status: 'active', turnId: '00000000-0000-4000-b000-000000000001',
        expiresAt: placed.hold.expiresAt.toISOString(), createdAt: expect.any(String),
      }]);
      expect(view.body.flows.map((f: { kind: string }) => f.kind)).toEqual(['hold', 'adjustment']);
      const mine = await ctx.http().get('/me/credit').set(ctx.as(target)).expect(200);
      expect(mine.body).toEqual({ balances: [{ asset: 'haiku', amount: 93, held: 7 }], tier: expect.objectContaining({ asset: 'haiku' }), holds: view.body.holds });
      await ctx.get(HoldsService).release(placed.hold.id);
      expect((await ctx.http().get('/me/credit').set(ctx.as(target)).expect(200)).body).toMatchObject({ balances: [{ asset: 'haiku', amount: 100, held: 0 }], holds: [] });
    });

    it('validates query parameters', async () => {
      expect((await get('/admin/eligibility?email=nope').expect(400)).body.fields[0].field).toBe('email');
      expect((await get('/admin/eligibility').expect(400)).body.fields[0].field).toBe('email');
      expect((await get('/admin/audit?cursor=abc').expect(400)).body.fields[0].field).toBe('cursor');
      expect((await get('/admin/audit?limit=0').expect(400)).body.fields[0].field).toBe('limit');
      expect((await get('/admin/grants?cursor=bm90LWEtY3Vyc29y').expect(400)).body.fields[0].field).toBe('cursor');
      expect((await get('/admin/persons/not-a-uuid/credit').expect(400)).body.fields[0].field).toBe('id');
    });

    it('finds persons by a normalized variant of their address', async () => {
      const local = unique('finder.mailbox');
      const email = `${local}@gmail.com`;
      const issued = await issue(email).expect(201);
      const who = await ctx.signedInPerson({ email, claimToken: tokenOf(issued.body.claimUrl) });
      const res = await get(`/admin/persons?email=${encodeURIComponent(`${local.replace('.', '')}+x@gmail.com`)}`).expect(200);
      expect(res.body.items.map((p: { id: string }) => p.id)).toEqual([who.person.id]);
      expect((await get('/admin/persons?email=bad').expect(400)).body.error).toBe('validation_failed');
    });

    it('lists persons newest first by part of an address or a name, any case, a page at a time; one by id', async () => {
      const tag = unique('Partial').toLowerCase().replace(/[^a-z0-9]/g, '');
      const people = [];
      for (const [i, name] of ['Ada Lovelace', 'Grace Hopper', 'Alan Turing'].entries()) {
        people.push(await ctx.signedInPerson({ email: `${tag}.${i}@example.com`, displayName: `${name} ${tag}` }));
        ctx.clock.advanceSeconds(1); // newest first is by signup time
      }
      const other = await ctx.signedInPerson({ displayName: 'Somebody 100%_\\ Else' });
      const ids = (res: { body: { items: { id: string }[] } }) => res.body.items.map((p) => p.id);

      // Part of the address, upper case: all three, newest first, in pages of two.
      const first = await get(`/admin/persons?q=${tag.toUpperCase()}&limit=2`).expect(200);
      expect(ids(first)).toEqual([people[2].person.id, people[1].person.id]);
      const second = await get(`/admin/persons?q=${tag}&limit=2&cursor=${first.body.nextCursor}`).expect(200);
      expect(ids(second)).toEqual([people[0].person.id]);
      expect(second.body.nextCursor).toBeNull();
      // Part of a name.
      expect(ids(await get(`/admin/persons?q=${encodeURIComponent(`hopper ${tag}`)}`).expect(200))).toEqual([people[1].person.id]);
      // LIKE's wildcards are plain characters.
      expect(ids(await get(`/admin/persons?q=${encodeURIComponent('100%_\\')}`).expect(200))).toEqual([other.person.id]);
      expect(ids(await get('/admin/persons?q=%25').expect(200))).toEqual([other.person.id]); // a literal %, not everyone
      // Without q: everyone, newest first.
      expect(ids(await get('/admin/persons?limit=1').expect(200))).toEqual([other.person.id]);
      expect((await get(`/admin/persons?q=${'x'.repeat(101)}`).expect(400)).body.fields[0].field).toBe('q');

      expect((await get(`/admin/persons/${people[0].person.id}`).expect(200)).body).toMatchObject({ id: people[0].person.id, displayName: `Ada Lovelace ${tag}` });
      expect((await get('/admin/persons/00000000-0000-4000-8000-000000000000').expect(404)).body.error).toBe('person_not_found');
      expect((await get('/admin/persons/nope').expect(400)).body.fields[0].field).toBe('id');
    });
  });

  describe('roles', () => {
    it('refuses members (403) and anonymous callers (401) on every admin route', async () => {
      const routes: Array<['get' | 'post' | 'put', string]> = [
        ['post', '/admin/grants'], ['get', '/admin/grants'], ['post', `/admin/grants/${admin.person.id}/revoke`],
        ['post', `/admin/grants/${admin.person.id}/reissue`], ['get', '/admin/eligibility?email=a@b.co'], ['get', '/admin/persons?email=a@b.co'], ['get', `/admin/persons/${admin.person.id}`],
        ['post', `/admin/persons/${member.person.id}/suspend`], ['post', `/admin/persons/${member.person.id}/adjustments`],
        ['get', `/admin/persons/${member.person.id}/credit`], ['get', '/admin/ledger/verify'], ['get', '/admin/ledger/export'], ['post', '/admin/grants/bulk'], ['get', '/admin/audit'],
        ['get', '/admin/rates'], ['put', '/admin/rates'], ['get', '/admin/config'], ['put', '/admin/config/grant_default_expiry_days'],
      ];
      for (const [method, path] of routes) {
        expect([path, (await ctx.http()[method](path).set(ctx.as(member)).send({})).status]).toEqual([path, 403]);
        expect([path, (await ctx.http()[method](path).send({})).status]).toEqual([path, 401]);
      }
    });
  });

  describe('operator settings', () => {
    it('refuses tier and model settings that would leave a tier unroutable or a model unpriced', async () => {
      const put = (key: string, value: unknown) => ctx.http().put(`/admin/config/${key}`).set(ctx.as(admin)).send({ value });
      const unrouted = await put('credit_tier_priority', ['platinum', 'opus', 'sonnet', 'haiku']).expect(400);
      expect(unrouted.body).toMatchObject({ error: 'invalid_setting', message: expect.stringContaining('missing: platinum') });
      const unpriced = await put('converse_default_responder_model', 'claude-unpriced-1').expect(400);
      expect(unpriced.body.message).toContain('claude-unpriced-1');
      expect((await get('/admin/config').expect(200)).body.items).toContainEqual(expect.objectContaining({ key: 'converse_default_responder_model', secret: false, value: 'claude-sonnet-4-6' }));
      // priced first, then accepted
      for (const tokenKind of ['input', 'output']) {
        await ctx.http().put('/admin/rates').set(ctx.as(admin)).send({ model: 'claude-new-1', tokenKind, creditsPerMillion: 2000 }).expect(200);
      }
      await put('converse_default_responder_model', 'claude-new-1').expect(200);
      await put('converse_default_responder_model', 'claude-sonnet-4-6').expect(200);
    });

    it('sets rates from now on, positive integers only', async () => {
      const before = await get('/admin/rates').expect(200);
      expect(before.body.items).toContainEqual(expect.objectContaining({ model: 'claude-haiku-4-5-20251001', tokenKind: 'input', creditsPerMillion: 1000 }));
      expect(before.body.items).toContainEqual(expect.objectContaining({ model: 'claude-haiku-4-5-20251001', tokenKind: 'cacheWrite', creditsPerMillion: '5000/4' }));
      const after = await ctx.http().put('/admin/rates').set(ctx.as(admin)).send({ model: 'claude-haiku-4-5-20251001', tokenKind: 'output', creditsPerMillion: 6000 }).expect(200);
      expect(after.body.items).toContainEqual(expect.objectContaining({ model: 'claude-haiku-4-5-20251001', tokenKind: 'output', creditsPerMillion: 6000 }));
      for (const creditsPerMillion of [0, -5, 1.5, '100']) {
        await ctx.http().put('/admin/rates').set(ctx.as(admin)).send({ model: 'claude-haiku-4-5-20251001', tokenKind: 'output', creditsPerMillion }).expect(400);
      }
      await ctx.http().put('/admin/rates').set(ctx.as(admin)).send({ model: 'claude-haiku-4-5-20251001', tokenKind: 'output', creditsPerMillion: 5000 }).expect(200);
    });

    it('shows typed settings, never a secret in clear, and validates changes', async () => {
      await ctx.http().put('/admin/config/anthropic_api_key').set(ctx.as(admin)).send({ value: 'sk-ant-admin-secret' }).expect(200);
      const config = await get('/admin/config').expect(200);
      expect(config.body.items).toContainEqual(expect.objectContaining({ key: 'anthropic_api_key', secret: true, isSet: true, source: 'config' }));
      expect(config.body.items).toContainEqual(expect.objectContaining({ key: 'grant_default_expiry_days', secret: false, value: 30 }));
      expect(JSON.stringify(config.body)).not.toContain('sk-ant-admin-secret');
      expect(JSON.stringify((await get('/admin/audit?limit=50').expect(200)).body)).not.toContain('sk-ant-admin-secret');

      const changed = await ctx.http().put('/admin/config/grant_default_expiry_days').set(ctx.as(admin)).send({ value: 7 }).expect(200);
      expect(changed.body.items).toContainEqual(expect.objectContaining({ key: 'grant_default_expiry_days', secret: false, value: 7 }));
      expect((await ctx.http().put('/admin/config/grant_default_expiry_days').set(ctx.as(admin)).send({ value: 'soon' }).expect(400)).body.error).toBe('invalid_setting');
      expect((await ctx.http().put('/admin/config/no_such_key').set(ctx.as(admin)).send({ value: 1 }).expect(400)).body.error).toBe('unknown_setting');
      expect((await ctx.http().put('/admin/config/grant_default_expiry_days').set(ctx.as(admin)).send({}).expect(400)).body.error).toBe('validation_failed');
      await ctx.http().put('/admin/config/grant_default_expiry_days').set(ctx.as(admin)).send({ value: 30 }).expect(200);
    });

    it('says mail is off in the mail log when no SMTP_URL is set', async () => {
      expect((await get('/admin/mail').expect(200)).body).toMatchObject({ items: expect.any(Array), mail: 'off' });
    });

    it('says when ANTHROPIC_API_KEY in the environment is used instead of the anthropic_api_key setting', async () => {
      const withEnv = await TestContext.create({ env: { ANTHROPIC_API_KEY: 'sk-ant-from-env' } });
      try {
        const staff = await withEnv.admin();
        const config = await withEnv.http().get('/admin/config').set(withEnv.as(staff)).expect(200);
        expect(config.body.items).toContainEqual(expect.objectContaining({ key: 'anthropic_api_key', secret: true, isSet: true, source: 'environment' }));
        expect(JSON.stringify(config.body)).not.toContain('sk-ant-from-env');
      } finally {
        await withEnv.close();
      }
    });
  });

  describe('ledger verification', () => {
    it('is ok on a consistent ledger and reports drift when a balance row is corrupted', async () => {
      const ok = await get('/admin/ledger/verify').expect(200);
      expect(ok.body).toMatchObject({ ok: true, drift: [], unbalancedAssets: [], duplicateIdempotencyKeys: [], heldMismatch: [], unexplainedNegativeBalances: [] });
      expect(ok.body.checkedFlows).toBeGreaterThan(0);
      const party = `person:${member.person.id}`;
      await ctx.db.query("INSERT INTO credit.balances (party, asset, slot, amount) VALUES ($1, 'opus', 0, 13)", [party]);
      try {
        const bad = await get('/admin/ledger/verify').expect(200);
        expect(bad.body.ok).toBe(false);
        expect(bad.body.drift).toEqual([{ party, asset: 'opus', balance: 13, sumOfFlows: 0 }]);
      } finally {
        await ctx.db.query("DELETE FROM credit.balances WHERE party = $1 AND asset = 'opus'", [party]);
      }
    });
  });

  it('describes every admin route in the OpenAPI document', async () => {
    const doc = await ctx.http().get('/docs-json').expect(200);
    const paths = Object.keys(doc.body.paths).filter((p) => p.startsWith('/admin'));
    expect(paths.sort()).toEqual([
      '/admin/api-keys/{id}', '/admin/audit', '/admin/config', '/admin/config/{key}', '/admin/eligibility', '/admin/engagements/{id}/adjustments', '/admin/engagements/{id}/credit', '/admin/events', '/admin/grants', '/admin/grants/bulk', '/admin/grants/{id}/reissue',
      '/admin/grants/{id}/revoke', '/admin/ledger/export', '/admin/ledger/verify', '/admin/llm-calls', '/admin/mail', '/admin/persons', '/admin/persons/{id}', '/admin/persons/{id}/adjustments', '/admin/persons/{id}/api-keys', '/admin/persons/{id}/credit',
      '/admin/persons/{id}/delete', '/admin/persons/{id}/limit', '/admin/persons/{id}/reactivate', '/admin/persons/{id}/recovery', '/admin/persons/{id}/suspend', '/admin/rates',
      '/admin/reconciliation', '/admin/refunds', '/admin/service-keys', '/admin/service-keys/{id}', '/admin/usage', '/admin/webhooks', '/admin/webhooks/{id}', '/admin/webhooks/{id}/deliveries',
    ]);
    expect(doc.body.paths['/admin/grants'].post.responses['409'].description).toContain('ineligible_email');
    expect(doc.body.components.schemas.IssueGrantDto.required).toEqual(expect.arrayContaining(['recipientEmail', 'asset', 'kind', 'amount']));
  });

  it('gives the API.md types as response schemas', async () => {
    const doc = await ctx.http().get('/docs-json').expect(200);
    const ref = (path: string, method: string, status: string) =>
      doc.body.paths[path][method].responses[status].content['application/json'].schema.$ref.split('/').pop();
    expect(ref('/me', 'get', '200')).toBe('PersonViewSchema');
    expect(ref('/admin/grants', 'post', '201')).toBe('IssuedGrantSchema');
    expect(ref('/admin/grants/{id}/revoke', 'post', '409')).toBe('ErrorResponse');
    expect(ref('/engagements/{engagementId}/converse', 'post', '200')).toBe('ConverseResponseSchema');
    const schemas = doc.body.components.schemas;
    expect(Object.keys(schemas.PersonViewSchema.properties).sort()).toEqual(
      ['accountStatus', 'createdAt', 'displayName', 'email', 'id', 'personalEngagementId', 'referredBy', 'role'],
    );
    expect(Object.keys(schemas.GrantViewSchema.properties).sort()).toEqual(
      ['amount', 'asset', 'claimedAt', 'claimedByPersonId', 'createdAt', 'expiresAt', 'id', 'issuedBy', 'kind', 'recipientEmail', 'referrerPersonId', 'status'],
    );
    expect(Object.keys(schemas.FlowViewSchema.properties).sort()).toEqual(
      ['amount', 'asset', 'counterparty', 'createdAt', 'direction', 'id', 'idempotencyKey', 'kind', 'metadata'],
    );
    expect(Object.keys(schemas.ConverseResponseSchema.properties).sort()).toEqual(
      ['conversationId', 'credit', 'intent', 'interrupted', 'keySource', 'models', 'reply', 'status', 'tokenUsage', 'turnId'],
    );
  });
});
