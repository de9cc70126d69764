import { setTimeout as sleep } from 'node:timers/promises';
import { UsageRecorder } from './usage';

describe('UsageRecorder', () => {
  const recorder = new UsageRecorder();
  const u = (input: number, output: number) => ({ input, output, cacheRead: 0, cacheWrite: 0 });

  it('collects per label, summing repeated calls', async () => {
    const { result, usage } = await recorder.collect(async () => {
      recorder.record('classify', u(10, 1));
      recorder.record('respond', u(100, 20));
      recorder.record('respond', u(5, 5));
      return 'done';
    });
    expect(result).toBe('done');
    expect(usage).toEqual({ classify: u(10, 1), respond: u(105, 25) });
  });

  it('keeps interleaved requests apart', async () => {
    const request = (n: number) =>
      recorder.collect(async () => {
        recorder.record('classify', u(n, 0));
        await sleep(5 * (3 - n));
        recorder.record('respond', u(n * 100, n));
      });
    const results = await Promise.all([1, 2, 3].map(request));
    expect(results.map((r) => r.usage)).toEqual([1, 2, 3].map((n) => ({ classify: u(n, 0), respond: u(n * 100, n) })));
  });

  it('refuses usage recorded outside a collection (it would be lost)', () => {
    expect(() => recorder.record('respond', u(1, 1))).toThrow('outside');
  });
});
