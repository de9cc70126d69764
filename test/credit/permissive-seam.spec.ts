import { CREDIT_SEAM, type CreditSeam } from '@loomworks/credit';
import { PermissiveCreditSeam } from '@loomworks/credit/testing';
import { TestContext } from '../support/test-context';

// How suites that are not about credit (converse routing, auth) bind the permissive seam.
describe('PermissiveCreditSeam bound with overrideProvider(CREDIT_SEAM)', () => {
  let ctx: TestContext;
  const permissive = new PermissiveCreditSeam();

  beforeAll(async () => {
    ctx = await TestContext.create({ override: (b) => b.overrideProvider(CREDIT_SEAM).useValue(permissive) });
  });
  afterAll(() => ctx.close());

  it('is what the app injects, resolving anyone to the lowest tier and recording nothing', async () => {
    const seam = ctx.get<CreditSeam>(CREDIT_SEAM);
    expect(seam).toBe(permissive);
    expect(await seam.resolveCredit('00000000-0000-4000-8000-000000000001')).toEqual({
      asset: 'haiku',
      classifierModel: 'claude-haiku-4-5-20251001',
      responderModel: 'claude-haiku-4-5-20251001',
    });
    const placed = await seam.placeHold({
      personId: '00000000-0000-4000-8000-000000000001',
      turnId: '00000000-0000-4000-8000-0000000000f1',
      classify: { inputTokens: 10, maxTokens: 10 },
      respond: { inputTokens: 10, maxTokens: 100 },
    });
    if (placed.status !== 'placed') throw new Error('not placed');
    const result = await seam.settleHold({
      holdId: placed.hold.id,
      turnId: '00000000-0000-4000-8000-0000000000f1',
      stages: [{ stage: 'respond', model: 'claude-haiku-4-5-20251001', usage: { input: 10, output: 5, cacheRead: 0, cacheWrite: 0 } }],
    });
    expect(result.charged).toBe(0n);
    expect(permissive.placed).toHaveLength(1);
    expect(permissive.settled).toHaveLength(1);
    expect(await ctx.db.query('SELECT 1 FROM credit.flows')).toHaveLength(0);
    expect(await seam.personFlows('00000000-0000-4000-8000-000000000001')).toEqual({ items: [], nextCursor: null });
  });

  it('fails loudly for operations a credit-less suite should not reach', () => {
    expect(() => permissive.claimGrant()).toThrow('PermissiveCreditSeam does not support claimGrant');
  });
});
