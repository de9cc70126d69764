import { HoldsService, LedgerService } from '@loomworks/credit/staff';
import { converseSuite } from '../support/converse-suite';
import { waitFor } from '../support/test-context';

/**
 * A turn whose LLM call outlives its hold: the sweeper expires the hold and gives its credit back
 * while the turn is still running; the turn then settles late and is charged once, directly —
 * not a second time through the hold it no longer has (holds.spec.ts covers the service alone).
 */
describe('a turn that settles after its hold expired (over HTTP)', () => {
  const suite = converseSuite(30_000);
  const { fake } = suite;

  it('is answered and charged once; the expired hold was released once', async () => {
    const who = await suite.ctx.signedInPerson({ credit: { asset: 'haiku', amount: 100n } });
    fake.reset({ latencyMs: 300 });
    const turn = suite.ctx.http().post(`/engagements/${who.person.personalEngagementId}/converse`)
      .set('authorization', `Bearer ${who.sessionToken}`).send({ message: 'a slow one' }).then((r) => r);
    await waitFor(() => fake.requests.length >= 1); // the hold is out, the LLM is answering
    suite.ctx.clock.set(new Date(suite.ctx.clock.now().getTime() + 601_000)); // past hold_ttl_seconds (600)
    expect(await suite.ctx.app.get(HoldsService).sweepExpired()).toBe(1);
    expect(await suite.ctx.app.get(LedgerService).balance(who.person.id, 'haiku')).toBe(100n);

    const res = await turn;
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ok', credit: { asset: 'haiku', held: 7, charged: 4, balanceAfter: 96 } });
    expect(await suite.ctx.app.get(LedgerService).balance(who.person.id, 'haiku')).toBe(96n);
    const flows = await suite.ctx.db.query<{ kind: string; amount: string }>('SELECT kind, amount::text FROM credit.flows WHERE person_id = $1 ORDER BY id', [who.person.id]);
    expect(flows.map((f) => `${f.kind} ${f.amount}`)).toEqual(['issuance 100', 'hold 7', 'release 7', 'consumption 1', 'consumption 3']);
    expect(await suite.ctx.db.query("SELECT id FROM credit.holds WHERE person_id = $1 AND status = 'active'", [who.person.id])).toEqual([]);
  });
});
