import { chooseTier, type TierConfig } from './tiers';

const config: TierConfig = {
  priority: ['opus', 'sonnet', 'haiku'],
  responderModels: { haiku: 'claude-haiku-4-5-20251001', sonnet: 'claude-sonnet-4-6', opus: 'claude-opus-4-7' },
  classifierModel: 'claude-haiku-4-5-20251001',
};

describe('chooseTier', () => {
  it('picks the highest-priority asset with a positive balance', () => {
    expect(chooseTier([{ asset: 'haiku', amount: 5n }, { asset: 'sonnet', amount: 1n }], config)).toEqual({
      asset: 'sonnet',
      classifierModel: 'claude-haiku-4-5-20251001',
      responderModel: 'claude-sonnet-4-6',
    });
  });

  it('skips zero and negative balances', () => {
    expect(chooseTier([{ asset: 'opus', amount: 0n }, { asset: 'sonnet', amount: -3n }, { asset: 'haiku', amount: 1n }], config)?.asset).toBe('haiku');
  });

  it('resolves to none without a positive balance', () => {
    expect(chooseTier([], config)).toBeNull();
    expect(chooseTier([{ asset: 'haiku', amount: -1n }], config)).toBeNull();
  });

  it('ignores assets that are not configured tiers', () => {
    expect(chooseTier([{ asset: 'legacy', amount: 100n }], config)).toBeNull();
  });

  it('follows the configured order, which is data', () => {
    const flipped = { ...config, priority: ['haiku', 'sonnet', 'opus'] };
    expect(chooseTier([{ asset: 'opus', amount: 1n }, { asset: 'haiku', amount: 1n }], flipped)?.asset).toBe('haiku');
  });
});
