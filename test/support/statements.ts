import { AsyncLocalStorage } from 'node:async_hooks';
import { PostgresQueryRunner } from 'typeorm/driver/postgres/PostgresQueryRunner';

const recording = new AsyncLocalStorage<string[]>();

/**
 * The SQL statements `work` sends, in order — only its own: the app's background workers
 * (outbox poll, reconciler, sweeps) run outside its async context and are not counted, so a
 * round-trip count can't flake on a slow machine. HTTP requests must go through Fastify's
 * `inject` (in process) to stay in the context.
 */
export async function statementsOf(work: () => Promise<unknown>): Promise<string[]> {
  const original = PostgresQueryRunner.prototype.query;
  const spy = jest.spyOn(PostgresQueryRunner.prototype, 'query').mockImplementation(function (this: PostgresQueryRunner, ...args: Parameters<typeof original>) {
    recording.getStore()?.push(args[0]);
    return original.apply(this, args);
  });
  const seen: string[] = [];
  try {
    await recording.run(seen, work);
  } finally {
    spy.mockRestore();
  }
  return seen;
}
