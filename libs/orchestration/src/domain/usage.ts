import { AsyncLocalStorage } from 'node:async_hooks';
import { addUsage, zeroUsage, type Usage } from '@loomworks/common';

export type UsageLabel = 'classify' | 'respond';

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
