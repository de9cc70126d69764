import fc from 'fast-check';
import { FRAMING_TOKENS_PER_MESSAGE, FRAMING_TOKENS_PER_REQUEST } from '@loomworks/llm';
import { OracleService } from '@loomworks/credit/staff';
import { converseSuite } from '../support/converse-suite';
import { type SignedIn } from '../support/test-context';
import { type FakeRequest, type FakeUsage } from '../support/fake-anthropic';

const isClassify = (r: FakeRequest) => r.system.startsWith("Classify the user's message");
const MODELS = ['claude-haiku-4-5-20251001', 'claude-sonnet-4-6', 'claude-opus-4-7'];

/**
 * The hold service has its own property test (test/credit/holds.spec.ts) with the bound's inputs
 * given. This one checks what only the pipeline decides: that the bound it asks for covers what
 * it really sends — the real system prompts (the responder's depends on the classified intent),
 * the conversation's history, multi-byte text — for a provider that reports the most it
 * truthfully could, split among input and cache tokens, at random rates and tiers.
 */
describe('a turn never costs more than its hold, whatever the conversation (system key, over HTTP)', () => {
  const suite = converseSuite(30_000);
  const { fake } = suite;

  /** The most input a request can truthfully be billed for: DESIGN's premise of ≥ 1 byte per token, plus the framing allowance. */
  const inputCeiling = (r: FakeRequest) =>
    Buffer.byteLength(r.system) + r.messages.reduce((n, m) => n + Buffer.byteLength(m.content), 0) +
    FRAMING_TOKENS_PER_REQUEST + FRAMING_TOKENS_PER_MESSAGE * r.messages.length;

  // Text as people send it, without NUL (Postgres text has none; not what this test is about).
  const text = (maxLength: number) => fc.string({ unit: 'binary', minLength: 1, maxLength }).filter((s) => !s.includes('\u0000'));
  const rate = fc.record({ num: fc.integer({ min: 1, max: 200_000 }), den: fc.integer({ min: 1, max: 7 }) });
  const scenario = fc.record({
    asset: fc.constantFrom('haiku', 'sonnet', 'opus'),
    balance: fc.oneof(fc.integer({ min: 1, max: 2_000 }), fc.integer({ min: 10_000, max: 5_000_000 })),
    rates: fc.array(fc.tuple(rate, rate, rate, rate), { minLength: MODELS.length, maxLength: MODELS.length }),
    turns: fc.array(
      fc.record({
        message: text(3_000),
        reply: text(3_000),
        intent: fc.constantFrom('question', 'task', 'feedback', 'smalltalk', 'no idea'),
        // where the billed input goes: all of it to the dearest of input, cache read and cache write
        // (the worst case), or split among them; and how much of max_tokens is used
        split: fc.oneof(fc.constant('dearest' as const), fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }))),
        outputShare: fc.oneof(fc.constant(1), fc.constant(1), fc.double({ min: 0, max: 1, noNaN: true })),
      }),
      { minLength: 1, maxLength: 4 },
    ),
  });

  it('holds at least what a truthful provider reports, for random messages, histories, intents, tiers and rates', async () => {
    const oracle = suite.ctx.app.get(OracleService);
    let charged = 0;
    let settled = 0;
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        for (const [i, model] of MODELS.entries()) {
          for (const [k, kind] of (['input', 'output', 'cacheRead', 'cacheWrite'] as const).entries()) {
            await oracle.setRate({ model, tokenKind: kind, numerator: BigInt(s.rates[i][k].num), denominator: BigInt(s.rates[i][k].den) });
          }
        }
        const who: SignedIn = await suite.ctx.signedInPerson({ credit: { asset: s.asset, amount: BigInt(s.balance) } });
        let conversationId: string | undefined;
        for (const turn of s.turns) {
          fake.reset({
            text: (r) => (isClassify(r) ? turn.intent : turn.reply),
            usage: (r): FakeUsage => {
              const ceiling = inputCeiling(r);
              const output_tokens = Math.floor(r.maxTokens * turn.outputShare);
              if (turn.split === 'dearest') {
                const [input, , cacheRead, cacheWrite] = s.rates[MODELS.indexOf(r.model)].map((x) => x.num / x.den);
                const dearest = Math.max(input, cacheRead, cacheWrite);
                const kind = dearest === input ? 'input_tokens' : dearest === cacheRead ? 'cache_read_input_tokens' : 'cache_creation_input_tokens';
                return { input_tokens: 0, cache_read_input_tokens: 0, cache_creation_input_tokens: 0, [kind]: ceiling, output_tokens };
              }
              const input = Math.floor(ceiling * turn.split[0]);
              const cacheRead = Math.floor((ceiling - input) * turn.split[1]);
              return { input_tokens: input, cache_read_input_tokens: cacheRead, cache_creation_input_tokens: ceiling - input - cacheRead, output_tokens };
            },
          });
          const res = await suite.ctx.http().post(`/engagements/${who.person.personalEngagementId}/converse`)
            .set('authorization', `Bearer ${who.sessionToken}`).send({ message: turn.message, ...(conversationId && { conversationId }) });
          expect([res.status, res.body.error]).toEqual([200, undefined]);
          expect(['ok', 'credit_exhausted']).toContain(res.body.status);
          if (res.body.status !== 'ok') continue;
          conversationId = res.body.conversationId;
          expect(res.body.credit.charged).toBeLessThanOrEqual(res.body.credit.held);
          expect(res.body.credit.balanceAfter).toBeGreaterThanOrEqual(0);
          charged += res.body.credit.charged;
          settled++;
        }
        // No settlement had to record that it went past its hold.
        expect(await suite.ctx.db.query("SELECT id FROM credit.flows WHERE person_id = $1 AND metadata ? 'holdExceeded'", [who.person.id])).toEqual([]);
        expect(await suite.ctx.db.query("SELECT id FROM credit.holds WHERE person_id = $1 AND status = 'active'", [who.person.id])).toEqual([]);
      }),
      { seed: 20261125, numRuns: 20, endOnFailure: true },
    );
    // The property was exercised on charged turns, with history, not only on refusals.
    expect(settled).toBeGreaterThan(20);
    expect(charged).toBeGreaterThan(0);
  }, 600_000);
});
