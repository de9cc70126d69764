import { CREDIT_SEAM } from '@loomworks/credit';
import { GrantsService } from '@loomworks/credit/staff';
import { PermissiveCreditSeam } from '@loomworks/credit/testing';
import { PersonsService } from '@loomworks/persons';
import { SecretBox } from '@loomworks/system-config';
import { uniqueEmail } from '../support/credit-fixtures';
import { AuthWorld, type SignedUp } from '../support/auth-world';
import { statementsOf } from '../support/statements';

describe('/me over HTTP', () => {
  let world: AuthWorld;
  let who: SignedUp;
  const bearer = () => ({ authorization: `Bearer ${who.sessionToken}` });

  beforeAll(async () => {
    world = await AuthWorld.create();
    who = await world.signup();
  });
  afterEach(() => world.expectLedgerConsistent());
  afterAll(() => world.close());

  const grantFor = (email: string, amount = 300n) =>
    world.app.get(GrantsService).issue({ recipientEmail: email, asset: 'haiku', kind: 'promo', amount, overrideEligibility: true, note: 'test' });

  it('shows no credit and no tier before any grant', async () => {
    const fresh = await world.signup();
    await world.http().get('/me/credit').set({ authorization: `Bearer ${fresh.sessionToken}` }).expect(200, { balances: [], tier: null, holds: [] });
  });

  it('reads session and person in one query, and the credit view in one more (settings from memory)', async () => {
    await world.http().get('/me/credit').set(bearer()).expect(200); // warms the settings cache
    const get = (url: string) => async () => {
      const res = await world.app.getHttpAdapter().getInstance().inject({ method: 'GET', url, headers: bearer() });
      expect(res.statusCode).toBe(200);
    };
    expect(await statementsOf(get('/me'))).toEqual([expect.stringContaining('JOIN persons')]);
    expect(await statementsOf(get('/me/credit'))).toEqual([expect.stringContaining('JOIN persons'), expect.stringContaining('credit.credit_view')]);
  });

  it('shows the tier of settings another instance changed at once (the cached settings are versioned)', async () => {
    const { claimToken } = await grantFor(who.email, 50n);
    await world.http().post('/me/claims').set(bearer()).send({ claimToken }).expect(201);
    expect((await world.http().get('/me/credit').set(bearer()).expect(200)).body.tier).toMatchObject({ asset: 'haiku' });
    // Another instance takes haiku out of the tiers: this process's cache does not know.
    const previous = await world.db.query<{ value: string }>("SELECT value FROM system_config WHERE key = 'credit_tier_priority'");
    await world.db.query(
      "INSERT INTO system_config (key, value, updated_at) VALUES ('credit_tier_priority', $1, now()) ON CONFLICT (key) DO UPDATE SET value = $1",
      [world.app.get(SecretBox).encrypt(JSON.stringify(['opus', 'sonnet']))],
    );
    try {
      expect((await world.http().get('/me/credit').set(bearer()).expect(200)).body.tier).toBeNull();
    } finally {
      if (previous[0]) await world.db.query("UPDATE system_config SET value = $1 WHERE key = 'credit_tier_priority'", [previous[0].value]);
      else await world.db.query("DELETE FROM system_config WHERE key = 'credit_tier_priority'");
    }
    expect((await world.http().get('/me/credit').set(bearer()).expect(200)).body.tier).toMatchObject({ asset: 'haiku' });
  });

  it('answers 401 for the session of a deleted person', async () => {
    const gone = await world.signup();
    await world.db.query("UPDATE persons SET account_status = 'deleted' WHERE id = $1", [gone.person.id]);
    await world.http().get('/me').set({ authorization: `Bearer ${gone.sessionToken}` }).expect(401);
  });

  describe('POST /me/claims', () => {
    it('claims a grant addressed to the signed-in person', async () => {
      const { grant, claimToken } = await grantFor(who.email);
      const res = await world.http().post('/me/claims').set(bearer()).send({ claimToken }).expect(201);
      expect(res.body).toEqual({ grantId: grant.id, asset: 'haiku', amount: 300, balanceAfter: expect.any(Number) });
      const credit = await world.http().get('/me/credit').set(bearer()).expect(200);
      expect(credit.body.balances).toEqual([{ asset: 'haiku', amount: res.body.balanceAfter, held: 0 }]);
    });

    it('replays the first answer for a repeated Idempotency-Key, and refuses the key with another body', async () => {
      const first = await grantFor(who.email);
      const second = await grantFor(who.email);
      const key = `claim-${Date.now()}`;
      const a = await world.http().post('/me/claims').set(bearer()).set('idempotency-key', key).send({ claimToken: first.claimToken }).expect(201);
      const b = await world.http().post('/me/claims').set(bearer()).set('idempotency-key', key).send({ claimToken: first.claimToken }).expect(201);
      expect(b.body).toEqual(a.body);
      expect(await world.db.query('SELECT 1 FROM credit.flows WHERE grant_id = $1', [first.grant.id])).toHaveLength(1);
      const reused = await world.http().post('/me/claims').set(bearer()).set('idempotency-key', key).send({ claimToken: second.claimToken }).expect(409);
      expect(reused.body.error).toBe('idempotency_key_reused');
      // without the key, a repeat is a second claim attempt: refused
      const again = await world.http().post('/me/claims').set(bearer()).send({ claimToken: first.claimToken }).expect(409);
      expect(again.body.error).toBe('grant_already_claimed');
    });

    it('answers parallel requests with one key once', async () => {
      const { grant, claimToken } = await grantFor(who.email);
      const key = `parallel-${Date.now()}`;
      const results = await Promise.all([1, 2, 3].map(() => world.http().post('/me/claims').set(bearer()).set('idempotency-key', key).send({ claimToken })));
      expect(results.map((r) => r.status)).toEqual([201, 201, 201]);
      for (const r of results) expect(r.body).toEqual(results[0].body);
      expect(await world.db.query('SELECT 1 FROM credit.flows WHERE grant_id = $1', [grant.id])).toHaveLength(1);
    });

    it('refuses a grant for another address (403) and unknown tokens (404)', async () => {
      const { claimToken } = await grantFor(uniqueEmail());
      expect((await world.http().post('/me/claims').set(bearer()).send({ claimToken }).expect(403)).body.error).toBe('grant_email_mismatch');
      expect((await world.http().post('/me/claims').set(bearer()).send({ claimToken: 'nope' }).expect(404)).body.error).toBe('grant_not_found');
      await world.http().post('/me/claims').send({ claimToken }).expect(401);
    });
  });

  it('lists flows newest first with a cursor', async () => {
    const page1 = await world.http().get('/me/flows?limit=1').set(bearer()).expect(200);
    expect(page1.body.items).toHaveLength(1);
    const page2 = await world.http().get(`/me/flows?limit=1&cursor=${page1.body.nextCursor}`).set(bearer()).expect(200);
    expect(Number(page2.body.items[0].id)).toBeLessThan(Number(page1.body.items[0].id));
    const bad = await world.http().get('/me/flows?limit=500').set(bearer()).expect(400);
    expect(bad.body.fields[0].field).toBe('limit');
    await world.http().get('/me/flows?cursor=%%%').set(bearer()).expect(400);
  });

  describe('LLM key', () => {
    it('is stored encrypted, never returned, and can be removed', async () => {
      await world.http().put('/me/llm-key').set(bearer()).send({ provider: 'anthropic', apiKey: 'sk-ant-secret-123' }).expect(204);
      expect(await world.app.get(PersonsService).personLlmKey(who.person.id)).toBe('sk-ant-secret-123');
      const me = await world.http().get('/me').set(bearer()).expect(200);
      expect(JSON.stringify(me.body)).not.toContain('sk-ant');
      await world.http().delete('/me/llm-key').set(bearer()).expect(204);
      expect(await world.app.get(PersonsService).personLlmKey(who.person.id)).toBeNull();
    });

    it('validates the body', async () => {
      const res = await world.http().put('/me/llm-key').set(bearer()).send({ provider: 'openai', apiKey: '' }).expect(400);
      expect(res.body.fields.map((f: { field: string }) => f.field).sort()).toEqual(['apiKey', 'provider']);
    });
  });
});

describe('an auth suite with the permissive CreditSeam', () => {
  let world: AuthWorld;

  beforeAll(async () => {
    world = await AuthWorld.create({ override: (b) => b.overrideProvider(CREDIT_SEAM).useValue(new PermissiveCreditSeam()) });
  });
  afterAll(() => world.close());

  it('signs up and reads the lowest tier without any credit', async () => {
    const who = await world.signup();
    const credit = await world.http().get('/me/credit').set({ authorization: `Bearer ${who.sessionToken}` }).expect(200);
    expect(credit.body).toEqual({
      balances: [],
      tier: { asset: 'haiku', classifierModel: 'claude-haiku-4-5-20251001', responderModel: 'claude-haiku-4-5-20251001' },
      holds: [],
    });
  });
});
