import { CREDIT_SEAM } from '@loomworks/credit';
import { PermissiveCreditSeam } from '@loomworks/credit/testing';
import { PersonsService } from '@loomworks/persons';
import { SecretBox } from '@loomworks/system-config';
import { TestContext, type SignedIn, unique, uniqueEmail } from '../support/test-context';
import { statementsOf } from '../support/statements';

describe('/me over HTTP', () => {
  let ctx: TestContext;
  let who: SignedIn;

  beforeAll(async () => {
    ctx = await TestContext.create();
    who = await ctx.signedInPerson();
  });
  afterEach(() => ctx.expectLedgerConsistent());
  afterAll(() => ctx.close());

  const grantFor = (email: string, amount = 300n) =>
    ctx.newGrant({ recipientEmail: email, asset: 'haiku', kind: 'promo', amount, overrideEligibility: true, note: 'test' });

  it('shows no credit and no tier before any grant', async () => {
    const fresh = await ctx.signedInPerson();
    await ctx.http().get('/me/credit').set(ctx.as(fresh)).expect(200, { balances: [], tier: null, holds: [] });
  });

  it('reads session and person in one query, and the credit view in one more (settings from memory)', async () => {
    await ctx.http().get('/me/credit').set(ctx.as(who)).expect(200); // warms the settings cache
    const get = (url: string) => async () => {
      const res = await ctx.app.getHttpAdapter().getInstance().inject({ method: 'GET', url, headers: ctx.as(who) });
      expect(res.statusCode).toBe(200);
    };
    expect(await statementsOf(get('/me'))).toEqual([expect.stringContaining('JOIN persons')]);
    expect(await statementsOf(get('/me/credit'))).toEqual([expect.stringContaining('JOIN persons'), expect.stringContaining('credit.credit_view')]);
  });

  it('shows the tier of settings another instance changed at once (the cached settings are versioned)', async () => {
    const { claimToken } = await grantFor(who.email, 50n);
    await ctx.http().post('/me/claims').set(ctx.as(who)).send({ claimToken }).expect(201);
    expect((await ctx.http().get('/me/credit').set(ctx.as(who)).expect(200)).body.tier).toMatchObject({ asset: 'haiku' });
    // Another instance takes haiku out of the tiers: this process's cache does not know.
    const previous = await ctx.db.query<{ value: string }>("SELECT value FROM system_config WHERE key = 'credit_tier_priority'");
    await ctx.db.query(
      "INSERT INTO system_config (key, value, updated_at) VALUES ('credit_tier_priority', $1, now()) ON CONFLICT (key) DO UPDATE SET value = $1",
      [ctx.get(SecretBox).encrypt(JSON.stringify(['opus', 'sonnet']))],
    );
    try {
      expect((await ctx.http().get('/me/credit').set(ctx.as(who)).expect(200)).body.tier).toBeNull();
    } finally {
      if (previous[0]) await ctx.db.query("UPDATE system_config SET value = $1 WHERE key = 'credit_tier_priority'", [previous[0].value]);
      else await ctx.db.query("DELETE FROM system_config WHERE key = 'credit_tier_priority'");
    }
    expect((await ctx.http().get('/me/credit').set(ctx.as(who)).expect(200)).body.tier).toMatchObject({ asset: 'haiku' });
  });

  it('answers 401 for the session of a deleted person', async () => {
    const gone = await ctx.signedInPerson();
    await ctx.db.query("UPDATE persons SET account_status = 'deleted' WHERE id = $1", [gone.person.id]);
    await ctx.http().get('/me').set(ctx.as(gone)).expect(401);
  });

  describe('POST /me/claims', () => {
    it('claims a grant addressed to the signed-in person', async () => {
      const { grant, claimToken } = await grantFor(who.email);
      const res = await ctx.http().post('/me/claims').set(ctx.as(who)).send({ claimToken }).expect(201);
      expect(res.body).toEqual({ grantId: grant.id, asset: 'haiku', amount: 300, balanceAfter: expect.any(Number) });
      const credit = await ctx.http().get('/me/credit').set(ctx.as(who)).expect(200);
      expect(credit.body.balances).toEqual([{ asset: 'haiku', amount: res.body.balanceAfter, held: 0 }]);
    });

    it('replays the first answer for a repeated Idempotency-Key, and refuses the key with another body', async () => {
      const first = await grantFor(who.email);
      const second = await grantFor(who.email);
      const key = unique('claim');
      const a = await ctx.http().post('/me/claims').set(ctx.as(who)).set('idempotency-key', key).send({ claimToken: first.claimToken }).expect(201);
      const b = await ctx.http().post('/me/claims').set(ctx.as(who)).set('idempotency-key', key).send({ claimToken: first.claimToken }).expect(201);
      expect(b.body).toEqual(a.body);
      expect(await ctx.db.query('SELECT 1 FROM credit.flows WHERE grant_id = $1', [first.grant.id])).toHaveLength(1);
      const reused = await ctx.http().post('/me/claims').set(ctx.as(who)).set('idempotency-key', key).send({ claimToken: second.claimToken }).expect(409);
      expect(reused.body.error).toBe('idempotency_key_reused');
      // without the key, a repeat is a second claim attempt: refused
      const again = await ctx.http().post('/me/claims').set(ctx.as(who)).send({ claimToken: first.claimToken }).expect(409);
      expect(again.body.error).toBe('grant_already_claimed');
    });

    it('answers parallel requests with one key once', async () => {
      const { grant, claimToken } = await grantFor(who.email);
      const key = unique('parallel');
      const results = await Promise.all([1, 2, 3].map(() => ctx.http().post('/me/claims').set(ctx.as(who)).set('idempotency-key', key).send({ claimToken })));
      expect(results.map((r) => r.status)).toEqual([201, 201, 201]);
      for (const r of results) expect(r.body).toEqual(results[0].body);
      expect(await ctx.db.query('SELECT 1 FROM credit.flows WHERE grant_id = $1', [grant.id])).toHaveLength(1);
    });

    it('refuses a grant for another address (403) and unknown tokens (404)', async () => {
      const { claimToken } = await grantFor(uniqueEmail());
      expect((await ctx.http().post('/me/claims').set(ctx.as(who)).send({ claimToken }).expect(403)).body.error).toBe('grant_email_mismatch');
      expect((await ctx.http().post('/me/claims').set(ctx.as(who)).send({ claimToken: 'nope' }).expect(404)).body.error).toBe('grant_not_found');
      await ctx.http().post('/me/claims').send({ claimToken }).expect(401);
    });
  });

  it('lists flows newest first with a cursor', async () => {
    const page1 = await ctx.http().get('/me/flows?limit=1').set(ctx.as(who)).expect(200);
    expect(page1.body.items).toHaveLength(1);
    const page2 = await ctx.http().get(`/me/flows?limit=1&cursor=${page1.body.nextCursor}`).set(ctx.as(who)).expect(200);
    expect(Number(page2.body.items[0].id)).toBeLessThan(Number(page1.body.items[0].id));
    const bad = await ctx.http().get('/me/flows?limit=500').set(ctx.as(who)).expect(400);
    expect(bad.body.fields[0].field).toBe('limit');
    await ctx.http().get('/me/flows?cursor=%%%').set(ctx.as(who)).expect(400);
  });

  describe('LLM key', () => {
    it('is stored encrypted, never returned, and can be removed', async () => {
      expect((await ctx.http().get('/me/llm-key').set(ctx.as(who)).expect(200)).body).toEqual({ isSet: false });
      await ctx.http().get('/me/llm-key').expect(401);
      await ctx.http().put('/me/llm-key').set(ctx.as(who)).send({ provider: 'anthropic', apiKey: 'sk-ant-secret-123' }).expect(204);
      expect(await ctx.get(PersonsService).personLlmKey(who.person.id)).toBe('sk-ant-secret-123');
      const me = await ctx.http().get('/me').set(ctx.as(who)).expect(200);
      expect(JSON.stringify(me.body)).not.toContain('sk-ant');
      // Whether one is set, and only that.
      expect((await ctx.http().get('/me/llm-key').set(ctx.as(who)).expect(200)).body).toEqual({ isSet: true });
      await ctx.http().delete('/me/llm-key').set(ctx.as(who)).expect(204);
      expect((await ctx.http().get('/me/llm-key').set(ctx.as(who)).expect(200)).body).toEqual({ isSet: false });
      expect(await ctx.get(PersonsService).personLlmKey(who.person.id)).toBeNull();
    });

    it('validates the body', async () => {
      const res = await ctx.http().put('/me/llm-key').set(ctx.as(who)).send({ provider: 'openai', apiKey: '' }).expect(400);
      expect(res.body.fields.map((f: { field: string }) => f.field).sort()).toEqual(['apiKey', 'provider']);
    });
  });
});

describe('an auth suite with the permissive CreditSeam', () => {
  let ctx: TestContext;

  beforeAll(async () => {
    ctx = await TestContext.create({ override: (b) => b.overrideProvider(CREDIT_SEAM).useValue(new PermissiveCreditSeam()) });
  });
  afterAll(() => ctx.close());

  it('signs up and reads the lowest tier without any credit', async () => {
    const who = await ctx.signedInPerson();
    const credit = await ctx.http().get('/me/credit').set(ctx.as(who)).expect(200);
    expect(credit.body).toEqual({
      balances: [],
      tier: { asset: 'haiku', classifierModel: 'claude-haiku-4-5-20251001', responderModel: 'claude-haiku-4-5-20251001' },
      holds: [],
    });
  });
});
