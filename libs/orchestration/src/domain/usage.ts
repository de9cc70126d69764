import { AsyncLocalStorage } from 'node:async_hooks';

export interface Usage {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
}

export type UsageLabel = 'classify' | 'respond';

export const zeroUsage = (): Usage => ({ input: 0, output: 0, cacheRead: 0, cacheWrite: 0 });

/** Usage the provider reported in full: every count a non-negative integer (else the turn fails closed). */
export const isCompleteUsage = (u: Partial<Usage> | null | undefined): u is Usage =>
  !!u && (['input', 'output', 'cacheRead', 'cacheWrite'] as const).every((k) => Number.isSafeInteger(u[k]) && (u[k] as number) >= 0);

export const addUsage = (a: Usage, b: Usage): Usage => ({
  input: a.input + b.input,
  output: a.output + b.output,
  cacheRead: a.cacheRead + b.cacheRead,
  cacheWrite: a.cacheWrite + b.cacheWrite,
});

/**
 * Token usage of the LLM calls made while handling one request, by label. AsyncLocalStorage
 * keeps concurrent requests apart without threading a collector through every call.
 */
export class UsageRecorder {
  private readonly storage = new AsyncLocalStorage<Map<UsageLabel, Usage>>();

  /** Runs `work` with a fresh collection; answers its result and what it used. */
  async collect<T>(work: () => Promise<T>): Promise<{ result: T; usage: Record<UsageLabel, Usage> }> {
    const collected = new Map<UsageLabel, Usage>();
    const result = await this.storage.run(collected, work);
    return { result, usage: { classify: collected.get('classify') ?? zeroUsage(), respond: collected.get('respond') ?? zeroUsage() } };
  }

  record(label: UsageLabel, usage: Usage): void {
    const collected = this.storage.getStore();
    if (!collected) throw new Error('LLM usage recorded outside UsageRecorder.collect');
    collected.set(label, addUsage(collected.get(label) ?? zeroUsage(), usage));
  }
}
