import { personParty } from '@loomworks/credit';
import { AuthorizationsService, GrantsService } from '@loomworks/credit/staff';
import { Transactions } from '@loomworks/database';
import { OutboxWorker } from '@loomworks/notifications';
import { EVENT_TYPES } from '@loomworks/outbox';
import { SystemConfigService } from '@loomworks/system-config';
import { TestContext, type SignedIn, uniqueEmail, tokenOf } from '../support/test-context';
import { FakeAnthropic } from '../support/fake-anthropic';
import { createTestApp } from '../support/test-app';
import { verifyStandardWebhook, WebhookReceiver, type ReceivedWebhook } from '../support/webhook-receiver';

/**
 * Each event type raised by its real cause (an admin action, a signup, a reconciler finding) reaches
 * a local receiver, signed per Standard Webhooks and checked by an independent verifier.
 * (test/credit/credit-events.spec.ts covers when the credit path raises its events.)
 */
describe('events from their causes', () => {
  const receiver = new WebhookReceiver();
  const fake = new FakeAnthropic();
  /** every type the receiver got in this suite */
  const seen = new Set<string>();
  let ctx: TestContext;
  let admin: SignedIn;
  let secret: string;

  // No background polling: each test drains the outbox itself.
  const env = { WEBHOOK_ALLOW_HTTP: 'true', OUTBOX_POLL_MS: '0' };

  beforeAll(async () => {
    await receiver.start();
    await fake.start();
    ctx = await TestContext.create({ env: { ...env, ANTHROPIC_BASE_URL: fake.url, ANTHROPIC_MAX_RETRIES: '0' } });
    await ctx.get(SystemConfigService).set('anthropic_api_key', 'system-key');
    admin = await ctx.admin();
    const endpoint = await post('/admin/webhooks', { url: receiver.url, events: EVENT_TYPES }).expect(201);
    secret = endpoint.body.secret;
  });
  beforeEach(async () => {
    await drain();
    receiver.reset();
  });
  afterEach(() => ctx.expectLedgerConsistent());
  afterAll(async () => {
    await ctx.close();
    await receiver.stop();
    await fake.stop();
  });

  const post = (path: string, body?: object) => ctx.http().post(path).set(ctx.as(admin)).send(body);
  const drain = () => ctx.get(OutboxWorker).drain();

  /**
   * Drains the outbox; answers what the receiver accepted, each signature verified independently,
   * sorted by type (deliveries run in parallel: webhooks promise no order).
   */
  const delivered = async (): Promise<ReceivedWebhook['event'][]> => {
    await drain();
    const accepted = receiver.accepted();
    for (const r of accepted) expect(verifyStandardWebhook(secret, r.headers, r.body)).toBe(true);
    for (const r of accepted) seen.add(r.event.type);
    return accepted.map((r) => r.event).sort((a, b) => a.type.localeCompare(b.type));
  };

  const issueGrant = async (amount = 300) => {
    const recipientEmail = uniqueEmail('evented');
    const res = await post('/admin/grants', { recipientEmail, asset: 'haiku', kind: 'welcome', amount }).expect(201);
    return { recipientEmail, grant: res.body.grant, claimToken: tokenOf(res.body.claimUrl) };
  };

  it('grant.issued and grant.claimed carry ids and amounts, never the address or the claim token', async () => {
    const { recipientEmail, grant, claimToken } = await issueGrant();
    const [issued] = await delivered();
    expect(issued).toEqual({
      type: 'grant.issued',
      timestamp: ctx.clock.now().toISOString(),
      data: {
        grantId: grant.id, asset: 'haiku', kind: 'welcome', amount: 300, expiresAt: grant.expiresAt,
        issuedBy: admin.person.id, referrerPersonId: null,
      },
    });

    receiver.reset();
    const claimer = await ctx.signedInPerson({ email: recipientEmail, claimToken });
    expect(await delivered()).toEqual([
      { type: 'grant.claimed', timestamp: expect.any(String), data: { grantId: grant.id, personId: claimer.person.id, asset: 'haiku', amount: 300 } },
    ]);

    const everything = (await ctx.db.query<{ data: object }>('SELECT data FROM events')).map((e) => JSON.stringify(e.data)).join('\n');
    expect(everything).not.toContain(recipientEmail);
    expect(everything).not.toContain(claimToken);
  });

  it('grant.revoked once, on the revocation; re-issuing raises none', async () => {
    const { grant } = await issueGrant(40);
    await post(`/admin/grants/${grant.id}/reissue`, { sendEmail: false }).expect(200);
    await post(`/admin/grants/${grant.id}/revoke`).expect(200);
    await post(`/admin/grants/${grant.id}/revoke`).expect(200); // idempotent: no second event
    expect((await delivered()).map((e) => [e.type, e.data])).toEqual([
      ['grant.issued', expect.objectContaining({ grantId: grant.id })],
      ['grant.revoked', { grantId: grant.id, asset: 'haiku', amount: 40 }],
    ]);
  });

  it('account transitions: suspended, reactivated, deleted (with what deletion zeroed); a refused one raises nothing', async () => {
    const { recipientEmail, claimToken } = await issueGrant(250);
    const member = await ctx.signedInPerson({ email: recipientEmail, claimToken });
    const id = member.person.id;
    await drain();
    receiver.reset();

    await post(`/admin/persons/${id}/suspend`).expect(200);
    await post(`/admin/persons/${id}/suspend`).expect(409); // already suspended
    await post(`/admin/persons/${id}/reactivate`).expect(200);
    await post(`/admin/persons/${id}/delete`).expect(200);
    await post(`/admin/persons/${id}/reactivate`).expect(409); // deleted is terminal
    expect((await delivered()).map((e) => [e.type, e.data])).toEqual([
      ['account.deleted', { personId: id, from: 'active', zeroed: [{ asset: 'haiku', amount: 250 }] }],
      ['account.reactivated', { personId: id, from: 'suspended' }],
      ['account.suspended', { personId: id, from: 'active' }],
    ]);
    expect(JSON.stringify(receiver.received.map((r) => r.body))).not.toContain(recipientEmail);
  });

  it('credit.low, hold.exceeded and credit.exhausted from real turns on the system key', async () => {
    // 102 haiku credits, 2 above the seeded low_balance_threshold of 100: the first turn crosses it.
    const { recipientEmail, claimToken } = await issueGrant(102);
    const member = await ctx.signedInPerson({ email: recipientEmail, claimToken });
    await drain();
    receiver.reset();
    const converse = () =>
      ctx.http().post(`/engagements/${member.person.personalEngagementId}/converse`).set(ctx.as(member)).send({ message: 'hello' }).expect(200);

    fake.reset();
    const first = await converse();
    expect(first.body.status).toBe('ok');
    // A provider that reports far more usage than the hold allowed: charged anyway, hold.exceeded.
    fake.reset({ usage: () => ({ input_tokens: 2_000_000, output_tokens: 0 }) });
    const second = await converse();
    expect(second.body.status).toBe('ok');
    expect(second.body.credit.charged).toBeGreaterThan(second.body.credit.held);
    fake.reset();
    expect((await converse()).body.status).toBe('credit_exhausted');

    const personId = member.person.id;
    expect((await delivered()).map((e) => [e.type, e.data])).toEqual([
      ['credit.exhausted', { personId, asset: 'haiku', balance: second.body.credit.balanceAfter }],
      ['credit.low', { personId, asset: 'haiku', balance: first.body.credit.balanceAfter, threshold: 100, turnId: expect.any(String) }],
      [
        'hold.exceeded',
        {
          personId, asset: 'haiku', holdId: expect.any(String), turnId: expect.any(String),
          held: second.body.credit.held, charged: second.body.credit.charged,
        },
      ],
    ]);
    expect(first.body.credit.balanceAfter).toBeLessThan(100);
    expect(JSON.stringify(receiver.received.map((r) => r.body))).not.toContain(recipientEmail);
  });

  it('budget.threshold and pool.low from a team turn: the member crossed 80 % of their limit, the pool fell below its threshold', async () => {
    const owner = await ctx.signedInPerson();
    const member = await ctx.signedInPerson();
    const team = await ctx.http().post('/engagements').set(ctx.as(owner)).send({ name: 'Evented team' }).expect(201);
    const engagementId = team.body.id as string;
    await ctx.http().post(`/engagements/${engagementId}/members`).set(ctx.as(owner)).send({ email: member.person.email, limit: { amount: 5, period: 'day' } }).expect(201);
    await post(`/admin/engagements/${engagementId}/adjustments`, { asset: 'haiku', amount: 102, reason: 'team budget' }).expect(201);
    await drain();
    receiver.reset();
    fake.reset();
    const turn = await ctx.http().post(`/engagements/${engagementId}/converse`).set(ctx.as(member)).send({ message: 'hello team' }).expect(200);
    expect(turn.body).toMatchObject({ status: 'ok', credit: { charged: 4 } }); // 1 + 3 of the limit's 5: 80 %
    expect((await delivered()).map((e) => [e.type, e.data])).toEqual([
      [
        'budget.threshold',
        {
          scope: 'member', personId: member.person.id, engagementId, apiKeyId: null, period: 'day',
          periodStart: ctx.clock.now().toISOString().slice(0, 10), limit: 5, spent: 4, threshold: 80,
        },
      ],
      ['pool.low', { engagementId, asset: 'haiku', balance: 98, threshold: 100, turnId: turn.body.turnId }],
    ]);
  });

  it('authorization.expired from the expiry sweep and credit.refunded from a staff refund of a capture', async () => {
    const person = await ctx.fundedPerson('haiku', 50n);
    const service = (await post('/admin/service-keys', { name: 'evented service' }).expect(201)).body.key;
    const authorize = (amount: number, key: string) =>
      ctx.http().post('/credit/authorizations').set({ authorization: `Bearer ${service}` }).set('Idempotency-Key', key).send({ personId: person.id, amount, expiresInSeconds: 60 }).expect(201);
    const captured = (await authorize(10, 'evented-1')).body;
    await ctx.http().post(`/credit/authorizations/${captured.id}/capture`).set({ authorization: `Bearer ${service}` }).send({ amount: 6 }).expect(200);
    const left = (await authorize(5, 'evented-2')).body;
    await drain();
    receiver.reset();
    const refund = await post('/admin/refunds', { authorizationId: captured.id, amount: 4, reason: 'duplicate job' }).expect(201);
    ctx.clock.advanceSeconds(60);
    expect(await ctx.get(AuthorizationsService).sweepExpired()).toBe(1);
    expect((await delivered()).map((e) => [e.type, e.data])).toEqual([
      ['authorization.expired', { authorizationId: left.id, personId: person.id, engagementId: null, asset: 'haiku', amount: 5, expiresAt: left.expiresAt }],
      [
        'credit.refunded',
        {
          refundId: refund.body.flows[0].metadata.refundId, authorizationId: captured.id, payer: personParty(person.id), personId: person.id, engagementId: null,
          asset: 'haiku', amount: 4, totalRefunded: 4, charged: 6, voided: 0,
        },
      ],
    ]);
  });

  it('llm.usage_unreported from a streamed turn whose provider stream broke before its final usage', async () => {
    const member = await ctx.signedInPerson({ credit: { asset: 'haiku', amount: 1000n } });
    await drain();
    receiver.reset();
    fake.reset({ usage: (r) => ({ input_tokens: r.stream ? 40 : 300, output_tokens: 2 }), dropAfterChunks: 1 });
    const res = await ctx.app.getHttpAdapter().getInstance().inject({
      method: 'POST',
      url: `/engagements/${member.person.personalEngagementId}/converse`,
      headers: { ...ctx.as(member), 'content-type': 'application/json', accept: 'text/event-stream' },
      payload: JSON.stringify({ message: 'break it' }),
    });
    const completed = JSON.parse(/event: turn\.completed\ndata: (.*)/.exec(res.payload)![1]);
    expect(completed).toMatchObject({ status: 'ok', interrupted: true });
    const [respond] = await ctx.db.query<{ id: string; hold_id: string; charged: string }>(
      "SELECT id, hold_id, charged::text FROM llm_calls WHERE turn_id = $1 AND stage = 'respond'", [completed.turnId]);
    expect((await delivered()).map((e) => [e.type, e.data])).toEqual([
      [
        'llm.usage_unreported',
        {
          callId: respond.id, source: 'converse', personId: member.person.id, engagementId: member.person.personalEngagementId, apiKeyId: null,
          turnId: completed.turnId, model: completed.models.responder, holdId: respond.hold_id, usage: completed.tokenUsage.respond, charged: Number(respond.charged),
        },
      ],
    ]);
    expect(Number(respond.charged)).toBeGreaterThan(0);
  });

  it('ledger.drift for each reconciler finding', async () => {
    const { recipientEmail, claimToken } = await issueGrant(90);
    const member = await ctx.signedInPerson({ email: recipientEmail, claimToken });
    await drain();
    receiver.reset();
    const party = personParty(member.person.id);
    await ctx.db.query("UPDATE credit.balances SET amount = amount + 5 WHERE party = $1 AND asset = 'haiku'", [party]);
    try {
      const run = await post('/admin/reconciliation').expect(201);
      const events = await delivered();
      expect(events.map((e) => e.type)).toEqual(['ledger.drift', 'ledger.drift']);
      expect(events.map((e) => e.data).sort((a, b) => String(a.kind).localeCompare(String(b.kind)))).toEqual([
        { runId: run.body.id, kind: 'balance_drift', detail: { party, asset: 'haiku', balance: '95', sumOfFlows: '90' } },
        { runId: run.body.id, kind: 'unbalanced_asset', detail: { asset: 'haiku', sum: '5' } },
      ]);
    } finally {
      await ctx.db.query("UPDATE credit.balances SET amount = amount - 5 WHERE party = $1 AND asset = 'haiku'", [party]);
    }
    receiver.reset();
    await post('/admin/reconciliation').expect(201);
    expect(await delivered()).toEqual([]); // a clean run raises nothing
  });

  it('a cause that rolls back raises no event', async () => {
    const grants = ctx.get(GrantsService);
    let grantId = '';
    await expect(
      ctx.get(Transactions).run(async (tx) => {
        grantId = (await grants.issue({ recipientEmail: uniqueEmail('rolled-back'), asset: 'haiku', kind: 'welcome', amount: 10n }, tx)).grant.id;
        throw new Error('the rest of the use case failed');
      }),
    ).rejects.toThrow('the rest of the use case failed');
    expect(grantId).not.toBe('');
    expect(await delivered()).toEqual([]);
    expect(await ctx.db.query("SELECT id FROM events WHERE data->>'grantId' = $1", [grantId])).toEqual([]);
  });

  it("delivers a cause's event after a restart when the instance that committed it stopped first", async () => {
    const first = await createTestApp(ctx.db.url, { env });
    let grantId: string;
    try {
      grantId = (await first.get(GrantsService).issue({ recipientEmail: uniqueEmail('restart'), asset: 'haiku', kind: 'welcome', amount: 20n })).grant.id;
    } finally {
      await first.close(); // stopped before any worker ran
    }
    expect(receiver.received).toEqual([]);
    const second = await createTestApp(ctx.db.url, { env });
    try {
      await second.get(OutboxWorker).drain();
    } finally {
      await second.close();
    }
    const accepted = receiver.accepted();
    expect(accepted.map((r) => [r.event.type, r.event.data.grantId])).toEqual([['grant.issued', grantId]]);
    expect(verifyStandardWebhook(secret, accepted[0].headers, accepted[0].body)).toBe(true);
  }, 120_000); // starts two more app instances

  it('the receiver got every event type DESIGN lists', () => {
    expect([...seen].sort()).toEqual([...EVENT_TYPES].sort());
  });
});
