import { interruptedUsage } from './interrupted-usage';

describe('interruptedUsage', () => {
  const reported = { input: 100, output: 1, cacheRead: 20, cacheWrite: 10 };

  it('charges the reported input side and the bytes delivered as output', () => {
    expect(interruptedUsage(reported, 'héllo', { inputTokens: 1000, maxTokens: 1000 })).toEqual({ input: 100, output: 6, cacheRead: 20, cacheWrite: 10 });
  });

  it('never exceeds the call bound: output ≤ max_tokens, input side ≤ its bound', () => {
    expect(interruptedUsage(reported, 'x'.repeat(500), { inputTokens: 115, maxTokens: 64 })).toEqual({ input: 100, output: 64, cacheRead: 5, cacheWrite: 10 });
    expect(interruptedUsage(reported, '', { inputTokens: 50, maxTokens: 10 })).toEqual({ input: 50, output: 0, cacheRead: 0, cacheWrite: 0 });
  });
});
