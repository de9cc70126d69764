import { StatementBatcher } from '@loomworks/database';

/** A statement kind whose calls end when the test says: one(x) answers x * 10, many(xs) each x * 100. */
function statements(options: { failMany?: (items: number[]) => boolean; failOne?: (item: number) => boolean } = {}) {
  const sent: { kind: 'one' | 'many'; items: number[]; finish: () => void }[] = [];
  const gate = () => {
    let finish!: () => void;
    const done = new Promise<void>((resolve) => (finish = resolve));
    return { done, finish };
  };
  return {
    sent,
    one: async (item: number) => {
      const g = gate();
      sent.push({ kind: 'one', items: [item], finish: g.finish });
      await g.done;
      if (options.failOne?.(item)) throw new Error(`refused ${item}`);
      return item * 10;
    },
    many: async (items: number[]) => {
      const g = gate();
      sent.push({ kind: 'many', items, finish: g.finish });
      await g.done;
      if (options.failMany?.(items)) throw new Error('batch failed');
      return items.map((i) => i * 100);
    },
    sameBatch: (a: number, b: number) => a % 2 === b % 2,
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('StatementBatcher', () => {
  it('sends a call alone while fewer than inFlight statements run, and the calls that waited as one statement', async () => {
    const s = statements();
    const batcher = new StatementBatcher(s, { inFlight: 1, batch: 10 });
    const first = batcher.send(2);
    await tick();
    expect(s.sent.map((x) => [x.kind, x.items])).toEqual([['one', [2]]]);
    const waited = [batcher.send(4), batcher.send(6), batcher.send(8)];
    await tick();
    expect(s.sent).toHaveLength(1); // they wait for the running one
    s.sent[0].finish();
    expect(await first).toBe(20);
    await tick();
    expect(s.sent.map((x) => [x.kind, x.items])).toEqual([['one', [2]], ['many', [4, 6, 8]]]);
    s.sent[1].finish();
    expect(await Promise.all(waited)).toEqual([400, 600, 800]);
  });

  it('puts only the calls that may join the first in its batch, at most `batch` of them; the rest go next', async () => {
    const s = statements();
    const batcher = new StatementBatcher(s, { inFlight: 1, batch: 2 });
    const all = [batcher.send(0), batcher.send(1), batcher.send(2), batcher.send(3), batcher.send(4), batcher.send(6)];
    for (let i = 0; i < 4; i++) {
      await tick();
      s.sent[i].finish();
    }
    expect(await Promise.all(all)).toEqual([0, 100, 200, 300, 400, 60]); // the last alone: one()
    expect(s.sent.map((x) => [x.kind, x.items])).toEqual([['one', [0]], ['many', [1, 3]], ['many', [2, 4]], ['one', [6]]]);
  });

  it('runs up to inFlight statements at once', async () => {
    const s = statements();
    const batcher = new StatementBatcher(s, { inFlight: 2, batch: 10 });
    const all = [batcher.send(1), batcher.send(3), batcher.send(5), batcher.send(7)];
    await tick();
    expect(s.sent.map((x) => x.items)).toEqual([[1], [3]]);
    s.sent[1].finish();
    await tick();
    expect(s.sent.map((x) => x.items)).toEqual([[1], [3], [5, 7]]);
    s.sent[0].finish();
    s.sent[2].finish();
    expect(await Promise.all(all)).toEqual([10, 30, 500, 700]);
  });

  it('a batch that fails is sent again call by call, each answering for itself', async () => {
    const s = statements({ failMany: () => true, failOne: (i) => i === 5 });
    const batcher = new StatementBatcher(s, { inFlight: 1, batch: 10 });
    const first = batcher.send(1);
    const rest = [batcher.send(3), batcher.send(5), batcher.send(7)].map((p) => p.then((v) => ({ v }), (e: Error) => ({ e: e.message })));
    await tick();
    s.sent[0].finish();
    await first;
    await tick();
    s.sent[1].finish(); // the batch [3, 5, 7] fails
    await tick();
    await tick();
    expect(s.sent.slice(2).map((x) => [x.kind, x.items])).toEqual([['one', [3]], ['one', [5]], ['one', [7]]]);
    for (const x of s.sent.slice(2)) x.finish();
    expect(await Promise.all(rest)).toEqual([{ v: 30 }, { e: 'refused 5' }, { v: 70 }]);
  });

  it('a batch that succeeded is never sent again, even when it answered too few rows', async () => {
    const s = statements();
    const short = { ...s, many: async (items: number[]) => (await s.many(items)).slice(1) };
    const batcher = new StatementBatcher(short, { inFlight: 1, batch: 10 });
    const first = batcher.send(1);
    const rest = [batcher.send(3), batcher.send(5)].map((p) => p.then((v) => ({ v }), (e: Error) => ({ e: e.message })));
    await tick();
    s.sent[0].finish();
    await first;
    await tick();
    s.sent[1].finish();
    expect(await Promise.all(rest)).toEqual([{ v: 500 }, { e: 'a batch of 2 calls answered 1' }]);
    expect(s.sent).toHaveLength(2);
  });
});
