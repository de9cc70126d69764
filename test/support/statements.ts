import { AsyncLocalStorage } from 'node:async_hooks';
import { Client } from 'pg';

const recording = new AsyncLocalStorage<string[]>();

/**
 * The SQL statements `work` sends, in order — only its own: the app's background workers
 * (outbox poll, reconciler, sweeps) run outside its async context and are not counted, so a
 * round-trip count can't flake on a slow machine. Counted at the driver (pg's Client), so
 * TypeORM's queries and prepared statements alike. HTTP requests must go through Fastify's
 * `inject` (in process) to stay in the context.
 */
export async function statementsOf(work: () => Promise<unknown>): Promise<string[]> {
  const original = Client.prototype.query as (...args: unknown[]) => unknown;
  const spy = jest.spyOn(Client.prototype, 'query').mockImplementation(function (this: Client, ...args: unknown[]) {
    const [sql] = args;
    recording.getStore()?.push(typeof sql === 'string' ? sql : (sql as { text: string }).text);
    return original.apply(this, args);
  } as never);
  const seen: string[] = [];
  try {
    await recording.run(seen, work);
  } finally {
    spy.mockRestore();
  }
  return seen;
}
