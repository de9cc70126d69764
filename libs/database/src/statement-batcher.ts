/** How a batcher sends its calls: one alone, several as one statement. */
export interface BatchStatements<I, O> {
  /** a call alone, exactly as without the batcher */
  one(item: I): Promise<O>;
  /** several calls in one statement, answering for each in the order given; an error means it changed nothing */
  many(items: I[]): Promise<O[]>;
  /** whether `b` may go in the statement `a` goes in (e.g. the same settings version) */
  sameBatch(a: I, b: I): boolean;
}

export interface BatchLimits {
  /** statements of this kind running at once; calls beyond wait and then go together */
  inFlight: number;
  /** calls in one statement at most */
  batch: number;
}

interface Waiting<I, O> {
  item: I;
  resolve(value: O): void;
  reject(error: unknown): void;
}

/**
 * Natural batching of one kind of statement (the Messages API's placements, its settlements): a
 * call that finds fewer than `inFlight` statements running is sent at once, alone; calls that
 * arrive while they all run wait, and when one ends, the waiting calls (up to `batch`, those that
 * may join the first) are sent as one statement. So a lone request pays nothing for it, and under
 * load requests share round trips, statement start-ups and commits — the work that does not grow
 * with what a request holds or charges — instead of queueing for them one by one.
 * A batch that fails is sent again call by call, each answering for itself: a statement that
 * fails changed nothing, and one call's refusal (or a deadlock between batches) must not become
 * the others'.
 */
export class StatementBatcher<I, O> {
  private waiting: Waiting<I, O>[] = [];
  private running = 0;

  constructor(
    private readonly statements: BatchStatements<I, O>,
    private readonly limits: BatchLimits,
  ) {}

  send(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.running < this.limits.inFlight && this.waiting.length > 0) {
      const first = this.waiting[0].item;
      const batch: Waiting<I, O>[] = [];
      const rest: Waiting<I, O>[] = [];
      for (const w of this.waiting) (batch.length < this.limits.batch && this.statements.sameBatch(first, w.item) ? batch : rest).push(w);
      this.waiting = rest;
      this.running++;
      void this.execute(batch).finally(() => {
        this.running--;
        this.dispatch();
      });
    }
  }

  private async execute(batch: Waiting<I, O>[]): Promise<void> {
    if (batch.length > 1) {
      let answers: O[];
      try {
        answers = await this.statements.many(batch.map((w) => w.item));
      } catch {
        await Promise.all(batch.map((w) => this.statements.one(w.item).then(w.resolve, w.reject)));
        return;
      }
      // The statement succeeded: its calls happened, so none is sent again, whatever it answered.
      const missing = new Error(`a batch of ${batch.length} calls answered ${answers.length}`);
      batch.forEach((w, i) => (i < answers.length ? w.resolve(answers[i]) : w.reject(missing)));
      return;
    }
    await this.statements.one(batch[0].item).then(batch[0].resolve, batch[0].reject);
  }
}
