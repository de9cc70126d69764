import { LedgerService, LifecycleService } from '@loomworks/credit/staff';
import { converseSuite } from '../support/converse-suite';
import type { SignedIn } from '../support/test-context';

/**
 * POST /admin/refunds (DESIGN.md "Authorizations and refunds"): a turn, an LLM call or a captured
 * authorization, whole or in part, never more than it charged in total — also under parallel
 * requests — as `reversal` flows system:consumed → payer, idempotent, audited, `credit.refunded`;
 * the spend counters and the usage aggregates count charges minus refunds. The fake provider
 * reports classify 300 in / 2 out (1 haiku credit) and respond 1,200 / 340 (3): a turn charges 4.
 * A deleted person's refund is made the same way and zeroed again to system:void (DESIGN.md
 * "Reservations", Release: a deleted person's returned credit).
 */
describe('refunds', () => {
  const suite = converseSuite(60_000);
  const http = () => suite.ctx.http();
  let admin: SignedIn;
  let serviceKey: string;
  let n = 0;

  beforeAll(async () => {
    admin = await suite.ctx.admin();
    serviceKey = (await http().post('/admin/service-keys').set(suite.ctx.as(admin)).send({ name: 'svc' }).expect(201)).body.key;
  });

  const refund = (body: Record<string, unknown>, key?: string) => {
    const req = http().post('/admin/refunds').set(suite.ctx.as(admin));
    return (key ? req.set('Idempotency-Key', key) : req).send({ reason: 'charged by mistake', ...body });
  };
  const turn = async (who: SignedIn, engagementId = who.person.personalEngagementId) => {
    const res = await http().post(`/engagements/${engagementId}/converse`).set(suite.ctx.as(who)).send({ message: 'hello' });
    expect(res.body).toMatchObject({ status: 'ok', credit: { charged: 4 } });
    return res.body.turnId as string;
  };
  const balance = (personId: string) => suite.ctx.get(LedgerService).balance(personId, 'haiku');
  const usageCredits = async (who: SignedIn) =>
    (await http().get('/me/usage?groupBy=model').set(suite.ctx.as(who)).expect(200)).body.items.reduce((s: number, i: { credits: number }) => s + i.credits, 0);
  const spent = async (scope: string) =>
    (await suite.ctx.db.query<{ amount: string }>("SELECT amount::text AS amount FROM credit.spend_counters WHERE scope = $1 AND period = 'day'", [scope]))[0]?.amount;
  const events = async () => (await http().get('/admin/events?type=credit.refunded&limit=100').set(suite.ctx.as(admin)).expect(200)).body.items;
  const authorizeAndCapture = async (personId: string, amount: number, captured: number) => {
    const a = await http().post('/credit/authorizations').set({ authorization: `Bearer ${serviceKey}` }).set('Idempotency-Key', `a-${++n}`).send({ personId, amount }).expect(201);
    await http().post(`/credit/authorizations/${a.body.id}/capture`).set({ authorization: `Bearer ${serviceKey}` }).send({ amount: captured }).expect(200);
    return a.body.id as string;
  };

  it('refunds a turn in part, then the rest, then refuses more; the payer, its spend and its usage get it back', async () => {
    const member = await suite.ctx.signedInPerson({ credit: { asset: 'haiku', amount: 1000n } });
    const turnId = await turn(member);
    expect(await balance(member.person.id)).toBe(996n);
    expect(await usageCredits(member)).toBe(4);
    expect(await spent(`person:${member.person.id}`)).toBe('4');

    const part = await refund({ turnId, amount: 1 });
    expect(part.status).toBe(201);
    expect(part.body).toEqual({
      refunded: 1,
      totalRefunded: 1,
      flows: [{ id: expect.any(String), kind: 'reversal', asset: 'haiku', amount: 1, direction: 'in', counterparty: 'system:consumed', idempotencyKey: expect.stringMatching(/^refund:/), metadata: expect.objectContaining({ turnId, stage: 'respond', reason: 'charged by mistake' }), createdAt: expect.any(String) }],
    });
    const rest = await refund({ turnId });
    expect(rest.body).toMatchObject({ refunded: 3, totalRefunded: 4 });
    expect(rest.body.flows.map((f: { amount: number; metadata: { stage: string } }) => [f.metadata.stage, f.amount])).toEqual([['respond', 2], ['classify', 1]]);
    const more = await refund({ turnId, amount: 1 });
    expect({ status: more.status, error: more.body.error }).toEqual({ status: 409, error: 'refund_exceeds_charge' });
    expect((await refund({ turnId })).body.error).toBe('refund_exceeds_charge');

    expect(await balance(member.person.id)).toBe(1000n);
    expect(await usageCredits(member)).toBe(0);
    expect((await http().get(`/admin/usage?personId=${member.person.id}`).set(suite.ctx.as(admin)).expect(200)).body.items[0].credits).toBe(0);
    expect(await spent(`person:${member.person.id}`)).toBe('0');
    expect((await http().get('/me/limit').set(suite.ctx.as(member)).expect(200)).body.spentThisPeriod).toBe(0);
    const mine = (await events()).filter((e: { data: { turnId?: string } }) => e.data.turnId === turnId);
    expect(mine.map((e: { data: { amount: number; totalRefunded: number } }) => [e.data.amount, e.data.totalRefunded]).sort()).toEqual([[1, 1], [3, 4]]);
    expect(mine[0].data).toMatchObject({ payer: `person:${member.person.id}`, personId: member.person.id, engagementId: null, asset: 'haiku', charged: 4 });
    const audit = (await http().get('/admin/audit?limit=50').set(suite.ctx.as(admin))).body.items.filter((e: { subjectId: string }) => e.subjectId === turnId);
    expect(audit.map((e: { action: string }) => e.action)).toEqual(['refund.create', 'refund.create']);
    // the member sees the reversals with their turn, never staff's reason or id
    const flows = (await http().get('/me/flows').set(suite.ctx.as(member)).expect(200)).body.items.filter((f: { kind: string }) => f.kind === 'reversal');
    expect(flows).toHaveLength(3);
    for (const f of flows) {
      expect(f.metadata.turnId).toBe(turnId);
      expect(f.metadata).not.toHaveProperty('reason');
      expect(f.metadata).not.toHaveProperty('actorPersonId');
    }
  });

  it('refunds one LLM call (a stage, or a Messages API request); the turn’s refund then gives back only the rest', async () => {
    const member = await suite.ctx.signedInPerson({ credit: { asset: 'haiku', amount: 1000n } });
    const turnId = await turn(member);
    const calls = (await http().get(`/admin/llm-calls?personId=${member.person.id}`).set(suite.ctx.as(admin)).expect(200)).body.items;
    const respond = calls.find((c: { stage: string }) => c.stage === 'respond');
    expect((await refund({ callId: respond.id })).body).toMatchObject({ refunded: 3, totalRefunded: 3 });
    expect((await refund({ callId: respond.id, amount: 1 })).body.error).toBe('refund_exceeds_charge');
    expect((await refund({ turnId })).body).toMatchObject({ refunded: 1, totalRefunded: 4 });
    expect(await usageCredits(member)).toBe(0);

    const key = (await http().post('/me/api-keys').set(suite.ctx.as(member)).send({ name: 'sdk' }).expect(201)).body.key;
    const res = await http().post('/v1/messages').set({ 'x-api-key': key }).send({ model: 'claude-haiku-4-5-20251001', max_tokens: 1000, messages: [{ role: 'user', content: 'hi' }] });
    expect(res.status).toBe(200);
    const callId = res.headers['loomworks-request-id'];
    expect(res.headers['loomworks-credit-charged']).toBe('3');
    expect((await refund({ callId, amount: 2 })).body).toMatchObject({ refunded: 2, totalRefunded: 2 });
    expect(await usageCredits(member)).toBe(1);
    expect(await balance(member.person.id)).toBe(999n);
  });

  it('refunds a captured authorization; one not captured (or captured for 0) has nothing to refund', async () => {
    const person = await suite.ctx.fundedPerson('haiku', 100n);
    const id = await authorizeAndCapture(person.id, 10, 7);
    expect(await balance(person.id)).toBe(93n);
    expect((await refund({ authorizationId: id, amount: 5 })).body).toMatchObject({ refunded: 5, totalRefunded: 5, flows: [{ kind: 'reversal', amount: 5, metadata: expect.objectContaining({ authorizationId: id }) }] });
    expect((await refund({ authorizationId: id, amount: 3 })).body.error).toBe('refund_exceeds_charge');
    expect((await refund({ authorizationId: id })).body).toMatchObject({ refunded: 2, totalRefunded: 7 });
    expect(await balance(person.id)).toBe(100n);
    expect(await spent(`person:${person.id}`)).toBe('0');

    const zero = await authorizeAndCapture(person.id, 5, 0);
    expect((await refund({ authorizationId: zero })).body.error).toBe('refund_exceeds_charge');
    const open = await http().post('/credit/authorizations').set({ authorization: `Bearer ${serviceKey}` }).set('Idempotency-Key', `a-${++n}`).send({ personId: person.id, amount: 3 }).expect(201);
    expect((await refund({ authorizationId: open.body.id })).body.error).toBe('refund_exceeds_charge');
    await http().post(`/credit/authorizations/${open.body.id}/void`).set({ authorization: `Bearer ${serviceKey}` }).expect(200);
  });

  it('never gives back more than the charge under parallel requests (real parallel connections)', async () => {
    const person = await suite.ctx.fundedPerson('haiku', 100n);
    const id = await authorizeAndCapture(person.id, 10, 6);
    const parts = await Promise.all(Array.from({ length: 20 }, (_, i) => refund({ authorizationId: id, amount: 1 }, `par-${n}-${i}`)));
    expect(parts.filter((r) => r.status === 201)).toHaveLength(6);
    expect(parts.filter((r) => r.status === 409).every((r) => r.body.error === 'refund_exceeds_charge')).toBe(true);
    expect(parts.filter((r) => r.status === 409)).toHaveLength(14);
    expect(parts.filter((r) => r.status === 201).map((r) => r.body.totalRefunded).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(await balance(person.id)).toBe(100n);

    const member = await suite.ctx.signedInPerson({ credit: { asset: 'haiku', amount: 1000n } });
    const turnId = await turn(member);
    const wholes = await Promise.all(Array.from({ length: 8 }, () => refund({ turnId })));
    expect(wholes.filter((r) => r.status === 201).map((r) => r.body.refunded)).toEqual([4]);
    expect(await balance(member.person.id)).toBe(1000n);
  });

  it('is idempotent: the same key and body answer the first refund; another body under it is refused', async () => {
    const person = await suite.ctx.fundedPerson('haiku', 100n);
    const id = await authorizeAndCapture(person.id, 10, 8);
    const first = await refund({ authorizationId: id, amount: 2 }, 'refund-key');
    const again = await refund({ authorizationId: id, amount: 2 }, 'refund-key');
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    const parallel = await Promise.all(Array.from({ length: 4 }, () => refund({ authorizationId: id, amount: 3 }, 'refund-key-2')));
    for (const r of parallel) expect([201, 409]).toContain(r.status);
    expect(await balance(person.id)).toBe(97n);
    expect((await refund({ authorizationId: id, amount: 1 }, 'refund-key')).body.error).toBe('idempotency_key_reused');
  });

  it('refunds a pool’s turn to the pool, and the member’s spend in it', async () => {
    const owner = await suite.ctx.signedInPerson();
    const team = (await http().post('/engagements').set(suite.ctx.as(owner)).send({ name: 'Refunded' }).expect(201)).body.id;
    await http().post(`/admin/engagements/${team}/adjustments`).set(suite.ctx.as(admin)).send({ asset: 'haiku', amount: 100, reason: 'budget' }).expect(201);
    const turnId = await turn(owner, team);
    expect(await spent(`member:${team}:${owner.person.id}`)).toBe('4');
    const memberSpend = async () => (await http().get(`/admin/engagements/${team}/credit`).set(suite.ctx.as(admin)).expect(200)).body.members[0].spentThisPeriod;
    expect(await memberSpend()).toBe(4);
    const res = await refund({ turnId });
    expect(res.body).toMatchObject({ refunded: 4, totalRefunded: 4 });
    expect(res.body.flows[0]).toMatchObject({ kind: 'reversal', direction: 'in', counterparty: 'system:consumed' });
    const pool = await suite.ctx.db.query<{ amount: string }>("SELECT sum(amount)::text AS amount FROM credit.balances WHERE party = $1 AND asset = 'haiku'", [`engagement:${team}`]);
    expect(pool[0].amount).toBe('100');
    expect(await spent(`member:${team}:${owner.person.id}`)).toBe('0');
    // DESIGN: spent this period counts settled charges minus refunds — as the API shows it
    expect(await memberSpend()).toBe(0);
    const event = (await events()).find((e: { data: { turnId?: string } }) => e.data.turnId === turnId);
    expect(event.data).toMatchObject({ payer: `engagement:${team}`, personId: null, engagementId: team, amount: 4 });
  });

  it('lists a pool’s flows for staff (GET /admin/engagements/:id/credit), paged, and refunds a capture the pool paid back to it', async () => {
    const owner = await suite.ctx.signedInPerson();
    const team = (await http().post('/engagements').set(suite.ctx.as(owner)).send({ name: 'Pool history' }).expect(201)).body.id;
    await http().post(`/admin/engagements/${team}/adjustments`).set(suite.ctx.as(admin)).send({ asset: 'haiku', amount: 100, reason: 'budget' }).expect(201);
    const turnId = await turn(owner, team);
    const a = await http().post('/credit/authorizations').set({ authorization: `Bearer ${serviceKey}` }).set('Idempotency-Key', `a-${++n}`).send({ engagementId: team, amount: 10 }).expect(201);
    await http().post(`/credit/authorizations/${a.body.id}/capture`).set({ authorization: `Bearer ${serviceKey}` }).send({ amount: 7 }).expect(200);
    const poolCredit = (query = '') => http().get(`/admin/engagements/${team}/credit${query}`).set(suite.ctx.as(admin)).expect(200);

    const view = (await poolCredit()).body;
    expect(view.balances).toEqual([{ asset: 'haiku', amount: 89, held: 0 }]);
    const kinds = view.flows.map((f: { kind: string; direction: string; amount: number }) => [f.kind, f.direction, f.amount]);
    // newest first, each from the pool's side: the capture, its release and hold; the turn's stages, release and hold; the funding
    expect(kinds).toEqual([
      ['consumption', 'out', 7], ['release', 'in', 10], ['hold', 'out', 10],
      ...kinds.slice(3, -1),
      ['adjustment', 'in', 100],
    ]);
    expect(view.flows.filter((f: { kind: string; metadata: { turnId?: string } }) => f.kind === 'consumption' && f.metadata.turnId === turnId).map((f: { amount: number }) => f.amount).sort()).toEqual([1, 3]);
    expect(view.flows[0]).toMatchObject({ counterparty: 'system:consumed', metadata: expect.objectContaining({ authorizationId: a.body.id }) });
    expect(view.nextCursor).toBeNull();
    // paged as every list: the pages put together are the whole list, in order
    const first = (await poolCredit('?limit=3')).body;
    expect(first.flows.map((f: { id: string }) => f.id)).toEqual(view.flows.slice(0, 3).map((f: { id: string }) => f.id));
    const rest = (await poolCredit(`?limit=100&cursor=${encodeURIComponent(first.nextCursor)}`)).body;
    expect([...first.flows, ...rest.flows].map((f: { id: string }) => f.id)).toEqual(view.flows.map((f: { id: string }) => f.id));
    expect((await http().get(`/admin/engagements/${team}/credit?limit=0`).set(suite.ctx.as(admin))).status).toBe(400);
    expect((await http().get(`/admin/engagements/${team}/credit?cursor=tampered`).set(suite.ctx.as(admin))).status).toBe(400);

    // the pool's capture (no person paid it) is refunded to the pool
    expect((await refund({ authorizationId: a.body.id, amount: 5 })).body).toMatchObject({ refunded: 5, flows: [{ kind: 'reversal', direction: 'in', amount: 5 }] });
    const after = (await poolCredit()).body;
    expect(after.balances).toEqual([{ asset: 'haiku', amount: 94, held: 0 }]);
    expect(after.flows[0]).toMatchObject({ kind: 'reversal', direction: 'in', amount: 5, counterparty: 'system:consumed', metadata: expect.objectContaining({ authorizationId: a.body.id }) });
  });

  it('answers every documented refusal, and changes nothing', async () => {
    const person = await suite.ctx.fundedPerson('haiku', 100n);
    const id = await authorizeAndCapture(person.id, 10, 5);
    const expectError = (res: { status: number; body: { error: string } }, status: number, error: string) => expect({ status: res.status, error: res.body.error }).toEqual({ status, error });
    const unknown = '00000000-0000-4000-8000-000000000009';
    expectError(await refund({}), 400, 'validation_failed');
    expectError(await refund({ authorizationId: id, turnId: unknown }), 400, 'validation_failed');
    expectError(await refund({ authorizationId: id, amount: 0 }), 400, 'validation_failed');
    expectError(await refund({ authorizationId: id, amount: 2 ** 53 }), 400, 'validation_failed');
    expectError(await refund({ authorizationId: id, reason: '' }), 400, 'validation_failed');
    expectError(await refund({ authorizationId: id, reason: '   ' }), 400, 'invalid_amount');
    expectError(await refund({ authorizationId: 'nope' }), 400, 'validation_failed');
    expectError(await refund({ authorizationId: id, extra: 1 }), 400, 'validation_failed');
    expectError(await refund({ turnId: unknown }), 404, 'turn_not_found');
    expectError(await refund({ callId: unknown }), 404, 'call_not_found');
    expectError(await refund({ authorizationId: unknown }), 404, 'authorization_not_found');
    expectError(await refund({ authorizationId: id, amount: 6 }), 409, 'refund_exceeds_charge');
    const member = await suite.ctx.signedInPerson();
    expectError(await http().post('/admin/refunds').set(suite.ctx.as(member)).send({ authorizationId: id, reason: 'x' }), 403, 'forbidden');
    expect(await suite.ctx.db.query("SELECT 1 FROM credit.flows WHERE kind = 'reversal' AND person_id = $1", [person.id])).toEqual([]);
  });

  it('refunds a deleted person’s charge as any other and zeroes what it gives back to system:void in the same transaction', async () => {
    const member = await suite.ctx.signedInPerson({ credit: { asset: 'haiku', amount: 1000n } });
    const turnId = await turn(member);
    const authorizationId = await authorizeAndCapture(member.person.id, 10, 6);
    await suite.ctx.get(LifecycleService).delete(member.person.id);
    expect(await balance(member.person.id)).toBe(0n);
    const voidBefore = async () =>
      BigInt((await suite.ctx.db.query<{ amount: string }>("SELECT coalesce(sum(amount), 0)::text AS amount FROM credit.balances WHERE party = 'system:void' AND asset = 'haiku'"))[0].amount);
    const voided = await voidBefore();

    const res = await refund({ turnId, amount: 3 });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ refunded: 3, totalRefunded: 3 });
    expect(res.body.flows.map((f: { kind: string; amount: number; direction: string; counterparty: string }) => [f.kind, f.amount, f.direction, f.counterparty])).toEqual([
      ['reversal', 3, 'in', 'system:consumed'],
      ['zeroing', 3, 'out', 'system:void'],
    ]);
    const refundId = res.body.flows[0].metadata.refundId;
    expect(res.body.flows[1]).toMatchObject({ idempotencyKey: `zeroing:${member.person.id}:haiku:${refundId}`, metadata: { reason: 'account_deleted', refundId } });
    // the credit went nowhere the deleted account could use; the charge is corrected for usage and spend
    expect(await balance(member.person.id)).toBe(0n);
    expect(await voidBefore()).toBe(voided + 3n);
    expect((await http().get(`/admin/usage?personId=${member.person.id}`).set(suite.ctx.as(admin)).expect(200)).body.items[0].credits).toBe(1);
    expect(await spent(`person:${member.person.id}`)).toBe('7');

    // the rest of the turn, then the capture: each zeroed under its own refund
    expect((await refund({ turnId })).body).toMatchObject({ refunded: 1, totalRefunded: 4, flows: [{ kind: 'reversal', amount: 1 }, { kind: 'zeroing', amount: 1 }] });
    expect((await refund({ turnId })).body.error).toBe('refund_exceeds_charge');
    expect((await refund({ authorizationId }, 'deleted-refund')).body).toMatchObject({ refunded: 6, flows: [{ kind: 'reversal', amount: 6 }, { kind: 'zeroing', amount: 6 }] });
    expect((await refund({ authorizationId }, 'deleted-refund')).body).toMatchObject({ refunded: 6 });
    expect(await balance(member.person.id)).toBe(0n);
    expect(await voidBefore()).toBe(voided + 10n);
    expect(await spent(`person:${member.person.id}`)).toBe('0');

    const mine = (await events()).filter((e: { data: { personId?: string } }) => e.data.personId === member.person.id);
    expect(mine.map((e: { data: { amount: number; voided: number } }) => [e.data.amount, e.data.voided]).sort()).toEqual([[1, 1], [3, 3], [6, 6]]);
    const audit = (await http().get('/admin/audit?limit=50').set(suite.ctx.as(admin))).body.items.filter((e: { action: string; details: { payer?: string } }) => e.action === 'refund.create' && e.details.payer === `person:${member.person.id}`);
    expect(audit.map((e: { details: { amount: number; voided: number } }) => [e.details.amount, e.details.voided]).sort()).toEqual([[1, 1], [3, 3], [6, 6]]);
  });

  it('a live payer’s refund zeroes nothing', async () => {
    const person = await suite.ctx.fundedPerson('haiku', 100n);
    const id = await authorizeAndCapture(person.id, 10, 4);
    const res = await refund({ authorizationId: id });
    expect(res.body.flows.map((f: { kind: string }) => f.kind)).toEqual(['reversal']);
    const event = (await events()).find((e: { data: { authorizationId?: string } }) => e.data.authorizationId === id);
    expect(event.data.voided).toBe(0);
    expect(await balance(person.id)).toBe(100n);
  });
});
