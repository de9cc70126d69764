import { LedgerService } from '@loomworks/credit/staff';
import { converseSuite } from '../support/converse-suite';
import { type SignedIn, waitFor } from '../support/test-context';

/**
 * DESIGN "Idempotency fencing": a pending key is not taken over while its first request may still
 * commit. converse.e2e.spec.ts covers the takeover past the window; this covers the window itself:
 * a retry sent while the first request is in its LLM call is refused without a second call, and
 * once the first committed the retry replays its answer.
 */
describe('a retried converse inside the pending window (Idempotency-Key)', () => {
  // pending window = 5 s timeout × 1 attempt × 2 stages + 30 s
  const suite = converseSuite(5_000);
  const { fake } = suite;
  let who: SignedIn;

  beforeAll(async () => {
    who = await suite.ctx.signedInPerson({ credit: { asset: 'haiku', amount: 100n } });
  });

  const send = (key: string) =>
    suite.ctx.http().post(`/engagements/${who.person.personalEngagementId}/converse`)
      .set('authorization', `Bearer ${who.sessionToken}`).set('idempotency-key', key).send({ message: 'only once' }).then((r) => r);

  it('is refused with 409 idempotency_key_in_progress while the first runs, then replays the first answer', async () => {
    fake.reset({ latencyMs: 300 });
    const first = send('k-window');
    await waitFor(() => fake.requests.length >= 1); // the first request is in its LLM call
    // 29 s later: still inside the window, and well inside the first request's hold
    suite.ctx.clock.set(new Date(suite.ctx.clock.now().getTime() + 29_000));
    const retry = await send('k-window');
    expect(retry.status).toBe(409);
    expect(retry.body).toEqual({ statusCode: 409, error: 'idempotency_key_in_progress', message: expect.any(String) });

    const answered = await first;
    expect(answered.status).toBe(200);
    expect(fake.requests).toHaveLength(2); // classify + respond of the first request only
    const replay = await send('k-window');
    expect(replay.status).toBe(200);
    expect(replay.body).toEqual(answered.body);
    expect(fake.requests).toHaveLength(2);
    expect(await suite.ctx.app.get(LedgerService).balance(who.person.id, 'haiku')).toBe(100n - BigInt(answered.body.credit.charged));
    expect(await suite.ctx.db.query("SELECT count(*)::int AS n FROM credit.flows WHERE person_id = $1 AND kind = 'consumption'", [who.person.id])).toEqual([{ n: 2 }]);
  });
});
