import { AuthorizationsService, HoldsService, LedgerService, LifecycleService } from '@loomworks/credit/staff';
import { Scheduler } from '@loomworks/database';
import { SystemConfigService } from '@loomworks/system-config';
import { TestContext, type SignedIn } from '../support/test-context';

/**
 * Service keys and authorizations (DESIGN.md "Authorizations and refunds"; API.md
 * `/credit/authorizations`): another service holds a person's or a pool's credit, captures up to
 * the held amount or voids it, and the sweep releases what expires — with the guarantee turns
 * have (parallel authorizations never hold more than the balance). Every scenario ends with the
 * ledger invariants.
 */
describe('service keys and authorizations', () => {
  let ctx: TestContext;
  let admin: SignedIn;
  let serviceKey: string;
  let n = 0;

  beforeAll(async () => {
    ctx = await TestContext.create();
    admin = await ctx.admin();
    serviceKey = (await ctx.http().post('/admin/service-keys').set(ctx.as(admin)).send({ name: 'image service' }).expect(201)).body.key;
  });
  afterEach(() => ctx.expectLedgerConsistent());
  afterAll(() => ctx.close());

  const bearer = (key = serviceKey) => ({ authorization: `Bearer ${key}` });
  const idem = () => `auth-${++n}`;
  const authorize = (body: Record<string, unknown>, key: string | null = idem(), sk = serviceKey) => {
    const req = ctx.http().post('/credit/authorizations').set(bearer(sk));
    return (key === null ? req : req.set('Idempotency-Key', key)).send(body);
  };
  const capture = (id: string, amount: number, key?: string, sk = serviceKey) => {
    const req = ctx.http().post(`/credit/authorizations/${id}/capture`).set(bearer(sk));
    return (key ? req.set('Idempotency-Key', key) : req).send({ amount });
  };
  const voidIt = (id: string, sk = serviceKey) => ctx.http().post(`/credit/authorizations/${id}/void`).set(bearer(sk)).send();
  const balance = (personId: string, asset = 'haiku') => ctx.get(LedgerService).balance(personId, asset);
  const flows = (authorizationId: string) =>
    ctx.db.query<{ kind: string; amount: string; from_party: string; to_party: string; idempotency_key: string }>(
      `SELECT kind, amount::text AS amount, from_party, to_party, idempotency_key FROM credit.flows
        WHERE metadata ->> 'authorizationId' = $1 OR metadata ->> 'holdId' = $1 ORDER BY id`,
      [authorizationId],
    );
  const expiredEvents = async (id: string) =>
    (await ctx.http().get('/admin/events?type=authorization.expired&limit=100').set(ctx.as(admin)).expect(200)).body.items.filter(
      (e: { data: { authorizationId: string } }) => e.data.authorizationId === id,
    );

  describe('service keys (admin)', () => {
    it('creates a key shown once (only its SHA-256 kept), lists and revokes it, audited', async () => {
      const created = await ctx.http().post('/admin/service-keys').set(ctx.as(admin)).send({ name: 'embeddings' });
      expect(created.status).toBe(201);
      expect(created.body).toEqual({ id: expect.any(String), name: 'embeddings', prefix: expect.stringMatching(/^lk_/), createdAt: expect.any(String), lastUsedAt: null, key: expect.stringMatching(/^lk_[A-Za-z0-9_-]{43}$/) });
      expect(created.body.key.startsWith(created.body.prefix)).toBe(true);
      const stored = await ctx.db.query<{ key_sha256: Buffer }>('SELECT key_sha256 FROM service_keys WHERE id = $1', [created.body.id]);
      expect(stored[0].key_sha256.toString('hex')).not.toContain(Buffer.from(created.body.key).toString('hex'));
      expect(stored[0].key_sha256).toHaveLength(32);

      const list = await ctx.http().get('/admin/service-keys').set(ctx.as(admin)).expect(200);
      const listed = list.body.items.find((k: { id: string }) => k.id === created.body.id);
      expect(listed).toEqual({ id: created.body.id, name: 'embeddings', prefix: created.body.prefix, createdAt: created.body.createdAt, lastUsedAt: null });

      // it works, then it is revoked and refused
      expect((await ctx.http().get(`/credit/authorizations/${created.body.id}`).set(bearer(created.body.key))).body.error).toBe('authorization_not_found');
      await ctx.http().delete(`/admin/service-keys/${created.body.id}`).set(ctx.as(admin)).expect(204);
      const refused = await ctx.http().get(`/credit/authorizations/${created.body.id}`).set(bearer(created.body.key));
      expect(refused.status).toBe(401);
      expect(refused.body.error).toBe('invalid_service_key');
      expect((await ctx.http().get('/admin/service-keys').set(ctx.as(admin))).body.items.map((k: { id: string }) => k.id)).not.toContain(created.body.id);
      const again = await ctx.http().delete(`/admin/service-keys/${created.body.id}`).set(ctx.as(admin));
      expect(again.status).toBe(404);
      expect(again.body.error).toBe('service_key_not_found');

      const audit = (await ctx.http().get('/admin/audit?limit=50').set(ctx.as(admin))).body.items.filter((e: { subjectId: string }) => e.subjectId === created.body.id);
      expect(audit.map((e: { action: string }) => e.action).sort()).toEqual(['service_key.create', 'service_key.revoke']);
      expect(JSON.stringify(audit)).not.toContain(created.body.key);
    });

    it('is staff-only, and a person refuses bad names', async () => {
      const member = await ctx.signedInPerson();
      expect((await ctx.http().post('/admin/service-keys').set(ctx.as(member)).send({ name: 'x' })).status).toBe(403);
      expect((await ctx.http().get('/admin/service-keys').set(ctx.as(member))).status).toBe(403);
      expect((await ctx.http().post('/admin/service-keys').set(ctx.as(admin)).send({ name: '' })).body.error).toBe('validation_failed');
      expect((await ctx.http().post('/admin/service-keys').set(ctx.as(admin)).send({ name: 'x'.repeat(101) })).status).toBe(400);
    });

    it('refuses missing, malformed, unknown keys and a session or an lw_ key with one 401', async () => {
      const member = await ctx.signedInPerson();
      const lw = (await ctx.http().post('/me/api-keys').set(ctx.as(member)).send({ name: 'k' }).expect(201)).body.key;
      for (const headers of [{}, bearer('lk_nope'), bearer(`lk_${'A'.repeat(43)}`), ctx.as(member), bearer(lw)]) {
        const res = await ctx.http().post('/credit/authorizations').set(headers).set('Idempotency-Key', idem()).send({ personId: member.person.id, amount: 1 });
        expect({ status: res.status, error: res.body.error }).toEqual({ status: 401, error: 'invalid_service_key' });
      }
    });
  });

  describe('authorize, capture, void', () => {
    it('does not count open authorizations as turns in flight, nor expire them at a turn’s gate', async () => {
      const person = await ctx.fundedPerson('haiku', 1000n);
      const settings = ctx.get(SystemConfigService);
      await settings.set('max_turns_in_flight', 1);
      try {
        const open = [];
        for (let i = 0; i < 2; i++) open.push((await authorize({ personId: person.id, amount: 5, expiresInSeconds: 60 }).expect(201)).body.id);
        const turn = { personId: person.id, turnId: '00000000-0000-4000-9000-00000000a001', classify: { inputTokens: 10, maxTokens: 10 }, respond: { inputTokens: 10, maxTokens: 10 } };
        const placed = await ctx.get(HoldsService).place(turn);
        expect(placed.status).toBe('placed');
        if (placed.status === 'placed') await ctx.get(HoldsService).release(placed.hold.id);
        // Past their expiry, a turn's gate leaves them to the sweep, which raises the event.
        ctx.clock.advanceSeconds(61);
        const later = await ctx.get(HoldsService).place({ ...turn, turnId: '00000000-0000-4000-9000-00000000a002' });
        if (later.status === 'placed') await ctx.get(HoldsService).release(later.hold.id);
        const heldRows = await ctx.db.query<{ status: string }>('SELECT status FROM credit.holds WHERE id = ANY($1::uuid[])', [open]);
        expect(heldRows.map((h) => h.status)).toEqual(['active', 'active']);
        expect(await ctx.get(AuthorizationsService).sweepExpired()).toBeGreaterThanOrEqual(2);
        for (const id of open) {
          expect((await ctx.http().get(`/credit/authorizations/${id}`).set(bearer())).body.status).toBe('expired');
          expect(await expiredEvents(id)).toHaveLength(1);
        }
      } finally {
        await settings.unset('max_turns_in_flight');
      }
    });

    it('holds a person’s credit, captures part of it and returns the rest (hold, release, consumption flows)', async () => {
      const person = await ctx.fundedPerson('haiku', 100n);
      const res = await authorize({ personId: person.id, amount: 40, metadata: { job: 'render-7' } });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        id: expect.any(String), personId: person.id, engagementId: null, asset: 'haiku', amount: 40, captured: null, status: 'active',
        expiresAt: new Date(ctx.clock.now().getTime() + 3600_000).toISOString(), metadata: { job: 'render-7' }, createdAt: ctx.clock.now().toISOString(),
      });
      expect(await balance(person.id)).toBe(60n);
      // the person sees the hold beside their balance
      const credit = await ctx.http().get(`/admin/persons/${person.id}/credit`).set(ctx.as(admin)).expect(200);
      expect(credit.body.balances).toEqual([{ asset: 'haiku', amount: 60, held: 40 }]);

      const captured = await capture(res.body.id, 25, 'cap-1');
      expect(captured.status).toBe(200);
      expect(captured.body).toMatchObject({ id: res.body.id, status: 'captured', captured: 25, amount: 40 });
      expect(await balance(person.id)).toBe(75n);
      expect(await flows(res.body.id)).toEqual([
        { kind: 'hold', amount: '40', from_party: `person:${person.id}`, to_party: 'system:held', idempotency_key: `hold:${res.body.id}` },
        { kind: 'release', amount: '40', from_party: 'system:held', to_party: `person:${person.id}`, idempotency_key: `release:${res.body.id}` },
        { kind: 'consumption', amount: '25', from_party: `person:${person.id}`, to_party: 'system:consumed', idempotency_key: `authorization:${res.body.id}:capture` },
      ]);
      // the same capture again answers the first; another capture is refused
      expect((await capture(res.body.id, 25, 'cap-1')).body).toEqual(captured.body);
      const twice = await capture(res.body.id, 5, 'cap-2');
      expect({ status: twice.status, error: twice.body.error }).toEqual({ status: 409, error: 'authorization_not_active' });
      expect((await voidIt(res.body.id)).body.error).toBe('authorization_not_active');
      expect((await ctx.http().get(`/credit/authorizations/${res.body.id}`).set(bearer())).body).toEqual(captured.body);
      // the capture counts in the person's spend of the periods it was placed in (day, week, month)
      const spent = await ctx.db.query<{ period: string; amount: string }>(
        "SELECT period, amount::text AS amount FROM credit.spend_counters WHERE scope = $1 ORDER BY period", [`person:${person.id}`]);
      expect(spent).toEqual([{ period: 'day', amount: '25' }, { period: 'month', amount: '25' }, { period: 'week', amount: '25' }]);
      // the person's own flow list shows the authorization's flows
      const mine = await ctx.get(LedgerService).flows(person.id);
      expect(mine.items.slice(0, 3).map((f) => f.kind)).toEqual(['consumption', 'release', 'hold']);
    });

    it('captures nothing with 0 and everything with the amount', async () => {
      const person = await ctx.fundedPerson('haiku', 10n);
      const a = (await authorize({ personId: person.id, amount: 4 }).expect(201)).body;
      expect((await capture(a.id, 0)).body).toMatchObject({ status: 'captured', captured: 0 });
      const b = (await authorize({ personId: person.id, amount: 10 }).expect(201)).body;
      expect((await capture(b.id, 10)).body).toMatchObject({ status: 'captured', captured: 10 });
      expect(await balance(person.id)).toBe(0n);
    });

    it('refuses a capture above the authorized amount', async () => {
      const person = await ctx.fundedPerson('haiku', 10n);
      const a = (await authorize({ personId: person.id, amount: 4 }).expect(201)).body;
      const res = await capture(a.id, 5);
      expect({ status: res.status, error: res.body.error }).toEqual({ status: 409, error: 'capture_exceeds_authorization' });
      expect((await capture(a.id, 4)).status).toBe(200);
    });

    it('voids: the whole amount goes back', async () => {
      const person = await ctx.fundedPerson('haiku', 10n);
      const a = (await authorize({ personId: person.id, amount: 7 }).expect(201)).body;
      expect(await balance(person.id)).toBe(3n);
      const voided = await voidIt(a.id);
      expect(voided.status).toBe(200);
      expect(voided.body).toMatchObject({ id: a.id, status: 'voided', captured: null });
      expect(await balance(person.id)).toBe(10n);
      const again = await voidIt(a.id);
      expect({ status: again.status, error: again.body.error }).toEqual({ status: 409, error: 'authorization_not_active' });
      expect((await capture(a.id, 1)).body.error).toBe('authorization_not_active');
    });

    it('holds a team pool’s credit (no person), picks the asset in tier priority, or the one named', async () => {
      const owner = await ctx.signedInPerson();
      const team = (await ctx.http().post('/engagements').set(ctx.as(owner)).send({ name: 'Studio' }).expect(201)).body.id;
      await ctx.http().post(`/admin/engagements/${team}/adjustments`).set(ctx.as(admin)).send({ asset: 'haiku', amount: 50, reason: 'budget' }).expect(201);
      await ctx.http().post(`/admin/engagements/${team}/adjustments`).set(ctx.as(admin)).send({ asset: 'sonnet', amount: 5, reason: 'budget' }).expect(201);
      const pool = (asset: string) => ctx.db.query<{ amount: string }>('SELECT coalesce(sum(amount), 0)::text AS amount FROM credit.balances WHERE party = $1 AND asset = $2', [`engagement:${team}`, asset]).then(([r]) => BigInt(r.amount));

      const small = (await authorize({ engagementId: team, amount: 5 }).expect(201)).body; // sonnet comes first in priority and covers 5
      expect(small).toMatchObject({ personId: null, engagementId: team, asset: 'sonnet', amount: 5 });
      const big = (await authorize({ engagementId: team, amount: 30 }).expect(201)).body; // sonnet can't: haiku
      expect(big.asset).toBe('haiku');
      const named = (await authorize({ engagementId: team, amount: 10, asset: 'haiku' }).expect(201)).body;
      expect(await pool('haiku')).toBe(10n);
      expect((await capture(big.id, 12)).status).toBe(200);
      expect((await voidIt(named.id)).status).toBe(200);
      expect((await voidIt(small.id)).status).toBe(200);
      expect(await pool('haiku')).toBe(38n);
      expect(await pool('sonnet')).toBe(5n);
      expect((await flows(big.id)).map((f) => [f.kind, f.from_party, f.to_party])).toEqual([
        ['hold', `engagement:${team}`, 'system:held'],
        ['release', 'system:held', `engagement:${team}`],
        ['consumption', `engagement:${team}`, 'system:consumed'],
      ]);
      const personal = await authorize({ engagementId: owner.person.personalEngagementId, amount: 1 });
      expect({ status: personal.status, error: personal.body.error }).toEqual({ status: 404, error: 'engagement_not_found' });
    });

    it('is idempotent: the same key and body answer the first authorization; another body is refused', async () => {
      const person = await ctx.fundedPerson('haiku', 10n);
      const first = await authorize({ personId: person.id, amount: 3 }, 'same-key');
      const again = await authorize({ personId: person.id, amount: 3 }, 'same-key');
      expect(again.status).toBe(201);
      expect(again.body).toEqual(first.body);
      expect(await balance(person.id)).toBe(7n);
      const other = await authorize({ personId: person.id, amount: 4 }, 'same-key');
      expect({ status: other.status, error: other.body.error }).toEqual({ status: 409, error: 'idempotency_key_reused' });
      // parallel retries under one key hold once
      const key = idem();
      const results = await Promise.all(Array.from({ length: 5 }, () => authorize({ personId: person.id, amount: 2 }, key)));
      expect(new Set(results.filter((r) => r.status === 201).map((r) => r.body.id)).size).toBe(1);
      expect(await balance(person.id)).toBe(5n);
      // a capture retried under its key charges once
      const capKey = idem();
      const caps = await Promise.all(Array.from({ length: 4 }, () => capture(first.body.id, 3, capKey)));
      expect(caps.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(1);
      for (const r of caps) expect([200, 409]).toContain(r.status);
      expect(await balance(person.id)).toBe(5n);
    });

    it('answers every documented refusal', async () => {
      const person = await ctx.fundedPerson('haiku', 10n);
      const expectError = async (res: { status: number; body: { error: string } }, status: number, error: string) =>
        expect({ status: res.status, error: res.body.error }).toEqual({ status, error });

      await expectError(await authorize({ personId: person.id, amount: 1 }, null), 400, 'idempotency_key_required');
      await expectError(await authorize({ amount: 1 }), 400, 'validation_failed');
      await expectError(await authorize({ personId: person.id, engagementId: person.personalEngagementId, amount: 1 }), 400, 'validation_failed');
      await expectError(await authorize({ personId: person.id, amount: 0 }), 400, 'validation_failed');
      await expectError(await authorize({ personId: person.id, amount: 2 ** 53 }), 400, 'validation_failed');
      await expectError(await authorize({ personId: person.id, amount: 1, unknown: true }), 400, 'validation_failed');
      await expectError(await authorize({ personId: 'not-a-uuid', amount: 1 }), 400, 'validation_failed');
      await expectError(await authorize({ personId: person.id, amount: 1, asset: 'gold' }), 400, 'unknown_asset');
      await expectError(await authorize({ personId: person.id, amount: 1, expiresInSeconds: 3601 }), 400, 'validation_failed');
      await expectError(await authorize({ personId: person.id, amount: 1, expiresInSeconds: 0 }), 400, 'validation_failed');
      await expectError(await authorize({ personId: person.id, amount: 1, metadata: { big: 'x'.repeat(5000) } }), 400, 'validation_failed');
      await expectError(await authorize({ personId: person.id, amount: 11 }), 402, 'credit_exhausted');
      await expectError(await authorize({ personId: person.id, amount: 1, asset: 'sonnet' }), 402, 'credit_exhausted');
      await expectError(await authorize({ personId: '00000000-0000-4000-8000-000000000000', amount: 1 }), 404, 'person_not_found');
      await expectError(await authorize({ engagementId: '00000000-0000-4000-8000-000000000000', amount: 1 }), 404, 'engagement_not_found');
      await ctx.get(LifecycleService).suspend(person.id);
      await expectError(await authorize({ personId: person.id, amount: 1 }), 409, 'account_suspended');
      await ctx.get(LifecycleService).delete(person.id);
      await expectError(await authorize({ personId: person.id, amount: 1 }), 409, 'account_deleted');

      const unknown = '00000000-0000-4000-8000-000000000001';
      await expectError(await ctx.http().get(`/credit/authorizations/${unknown}`).set(bearer()), 404, 'authorization_not_found');
      await expectError(await capture(unknown, 1), 404, 'authorization_not_found');
      await expectError(await voidIt(unknown), 404, 'authorization_not_found');
      await expectError(await ctx.http().get('/credit/authorizations/nope').set(bearer()), 400, 'validation_failed');
      await expectError(await capture(unknown, -1), 400, 'validation_failed');
      expect(await ctx.db.query('SELECT 1 FROM credit.authorizations WHERE person_id = $1', [person.id])).toEqual([]);
    });

    it('applies the person’s spend limit as a turn’s hold does: 429 limit_reached with Retry-After to the period’s end', async () => {
      const person = await ctx.fundedPerson('haiku', 100n);
      await ctx.db.query("UPDATE persons SET staff_limit_amount = 5, staff_limit_period = 'day' WHERE id = $1", [person.id]);
      const a = (await authorize({ personId: person.id, amount: 3 }).expect(201)).body;
      const refused = await authorize({ personId: person.id, amount: 3 });
      expect({ status: refused.status, error: refused.body.error }).toEqual({ status: 429, error: 'limit_reached' });
      const now = ctx.clock.now();
      const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
      expect(refused.headers['retry-after']).toBe(String(Math.ceil((midnight - now.getTime()) / 1000)));
      // a capture of 2 counts 2 as spent, the rest of the hold no longer counts: 3 more fit, then nothing
      await capture(a.id, 2).expect(200);
      expect((await authorize({ personId: person.id, amount: 3 })).status).toBe(201);
      expect((await authorize({ personId: person.id, amount: 1 })).status).toBe(429);
      expect(await balance(person.id)).toBe(95n);
    });

    it('lets an authorization placed before a suspension be captured; a deleted person’s remainder is zeroed again', async () => {
      const person = await ctx.fundedPerson('haiku', 10n);
      const a = (await authorize({ personId: person.id, amount: 6 }).expect(201)).body;
      const b = (await authorize({ personId: person.id, amount: 4 }).expect(201)).body;
      await ctx.get(LifecycleService).suspend(person.id);
      expect((await capture(a.id, 2)).body.status).toBe('captured');
      await ctx.get(LifecycleService).delete(person.id);
      expect((await voidIt(b.id)).body.status).toBe('voided');
      expect(await balance(person.id)).toBe(0n);
    });
  });

  describe('races (real parallel connections)', () => {
    it('20 parallel authorizations on a balance for 6: exactly 6 succeed, never more than the balance', async () => {
      const person = await ctx.fundedPerson('haiku', 6n);
      const results = await Promise.all(Array.from({ length: 20 }, () => authorize({ personId: person.id, amount: 1 })));
      const statuses = results.map((r) => r.status);
      expect(statuses.filter((s) => s === 201)).toHaveLength(6);
      expect(statuses.filter((s) => s === 402)).toHaveLength(14);
      expect(await balance(person.id)).toBe(0n);
      const held = await ctx.db.query<{ sum: string }>("SELECT sum(amount)::text AS sum FROM credit.holds WHERE payer = $1 AND status = 'active'", [`person:${person.id}`]);
      expect(held[0].sum).toBe('6');
    });

    it('20 parallel authorizations on a pool for 6: at most 6 succeed', async () => {
      const owner = await ctx.signedInPerson();
      const team = (await ctx.http().post('/engagements').set(ctx.as(owner)).send({ name: 'Race' }).expect(201)).body.id;
      await ctx.http().post(`/admin/engagements/${team}/adjustments`).set(ctx.as(admin)).send({ asset: 'haiku', amount: 6, reason: 'budget' }).expect(201);
      const results = await Promise.all(Array.from({ length: 20 }, () => authorize({ engagementId: team, amount: 1, asset: 'haiku' })));
      expect(results.filter((r) => r.status === 201)).toHaveLength(6);
      expect(results.filter((r) => r.status === 402)).toHaveLength(14);
    });

    it('capture twice in parallel, with two Idempotency-Keys and two service keys: one capture, the other refused', async () => {
      const second = (await ctx.http().post('/admin/service-keys').set(ctx.as(admin)).send({ name: 'second' }).expect(201)).body.key;
      const person = await ctx.fundedPerson('haiku', 20n);
      for (let round = 0; round < 3; round++) {
        const a = (await authorize({ personId: person.id, amount: 5 }).expect(201)).body;
        const [x, y] = await Promise.all([capture(a.id, 3, idem()), capture(a.id, 4, idem(), second)]);
        const statuses = [x.status, y.status].sort();
        expect(statuses).toEqual([200, 409]);
        const won = x.status === 200 ? x : y;
        expect([3, 4]).toContain(won.body.captured);
        expect((await flows(a.id)).filter((f) => f.kind === 'consumption')).toHaveLength(1);
      }
    });

    it('void vs capture in parallel: exactly one wins, and the payer gets back exactly what wasn’t charged', async () => {
      const person = await ctx.fundedPerson('haiku', 100n);
      for (let round = 0; round < 4; round++) {
        const before = await balance(person.id);
        const a = (await authorize({ personId: person.id, amount: 10 }).expect(201)).body;
        const [c, v] = await Promise.all([capture(a.id, 6, idem()), voidIt(a.id)]);
        expect([c.status, v.status].sort()).toEqual([200, 409]);
        expect(await balance(person.id)).toBe(c.status === 200 ? before - 6n : before);
      }
    });
  });

  describe('expiry', () => {
    it('is shown at its time, refuses a capture (410) and a void (409), and is released by the sweep with authorization.expired', async () => {
      const person = await ctx.fundedPerson('haiku', 10n);
      const a = (await authorize({ personId: person.id, amount: 8, expiresInSeconds: 60 }).expect(201)).body;
      ctx.clock.advanceSeconds(59);
      expect((await ctx.http().get(`/credit/authorizations/${a.id}`).set(bearer())).body.status).toBe('active');
      ctx.clock.advanceSeconds(1);
      expect((await ctx.http().get(`/credit/authorizations/${a.id}`).set(bearer())).body.status).toBe('expired');
      const late = await capture(a.id, 1);
      expect({ status: late.status, error: late.body.error }).toEqual({ status: 410, error: 'authorization_expired' });
      expect((await voidIt(a.id)).body.error).toBe('authorization_not_active');
      expect(await balance(person.id)).toBe(2n);

      expect(await ctx.get(AuthorizationsService).sweepExpired()).toBeGreaterThanOrEqual(1);
      expect(await balance(person.id)).toBe(10n);
      expect((await ctx.http().get(`/credit/authorizations/${a.id}`).set(bearer())).body.status).toBe('expired');
      expect((await capture(a.id, 1)).status).toBe(410);
      expect(await ctx.get(AuthorizationsService).sweepExpired()).toBe(0);
      const events = await expiredEvents(a.id);
      expect(events).toHaveLength(1);
      expect(events[0].data).toEqual({ authorizationId: a.id, personId: person.id, engagementId: null, asset: 'haiku', amount: 8, expiresAt: a.expiresAt });
      expect((await flows(a.id)).map((f) => f.kind)).toEqual(['hold', 'release']);
    });

    it('capture vs expiry in parallel: each authorization ends exactly once, captured before its expiry or released after it', async () => {
      const person = await ctx.fundedPerson('haiku', 100n);
      const ids: string[] = [];
      for (let i = 0; i < 6; i++) ids.push((await authorize({ personId: person.id, amount: 5, expiresInSeconds: 30 }).expect(201)).body.id);
      ctx.clock.advanceSeconds(29);
      // captured in time: the sweep that follows finds nothing to release
      const [onTime] = await Promise.all([capture(ids[0], 2, idem()), ctx.get(AuthorizationsService).sweepExpired()]);
      expect(onTime.status).toBe(200);
      ctx.clock.advanceSeconds(1);
      // at the expiry: captures racing the sweep all lose, whoever takes the lock first
      const [swept, ...captures] = await Promise.all([ctx.get(AuthorizationsService).sweepExpired(), ...ids.slice(1).map((id) => capture(id, 2, idem()))]);
      expect(captures.map((c) => c.status)).toEqual([410, 410, 410, 410, 410]);
      expect(swept).toBe(5);
      for (const id of ids.slice(1)) expect(await expiredEvents(id)).toHaveLength(1);
      expect(await expiredEvents(ids[0])).toHaveLength(0);
      expect(await balance(person.id)).toBe(98n);
    });

    it('an authorization hold the reconciler’s hold sweep expired first still ends as expired, with its event', async () => {
      const owner = await ctx.signedInPerson();
      const team = (await ctx.http().post('/engagements').set(ctx.as(owner)).send({ name: 'Sweep' }).expect(201)).body.id;
      await ctx.http().post(`/admin/engagements/${team}/adjustments`).set(ctx.as(admin)).send({ asset: 'haiku', amount: 9, reason: 'budget' }).expect(201);
      const a = (await authorize({ engagementId: team, amount: 9, expiresInSeconds: 10 }).expect(201)).body;
      ctx.clock.advanceSeconds(10);
      expect(await ctx.get(HoldsService).sweepExpired()).toBeGreaterThanOrEqual(1);
      expect(await ctx.get(AuthorizationsService).sweepExpired()).toBe(1);
      expect(await expiredEvents(a.id)).toHaveLength(1);
      expect((await flows(a.id)).map((f) => f.kind)).toEqual(['hold', 'release']);
    });

    it('runs as the scheduled job "authorizations.expire"', async () => {
      await ctx.get(Scheduler).runDue();
      expect(await ctx.db.query("SELECT name FROM scheduled_jobs WHERE name = 'authorizations.expire'")).toEqual([{ name: 'authorizations.expire' }]);
    });
  });
});
