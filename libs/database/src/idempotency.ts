import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, DomainError, type Clock } from '@loomworks/common';
import { Transactions, type Tx } from './transactions';

export class IdempotencyKeyReusedError extends DomainError {
  readonly code = 'idempotency_key_reused';
  constructor() {
    super('This Idempotency-Key was already used with a different request');
  }
}

/**
 * Idempotency-Key support: the work and the record of its response commit in one transaction.
 * A concurrent request with the same key waits on the key's unique index until the first
 * commits (then gets its response) or rolls back (then runs itself) — no window for a double.
 * Errors are not recorded, so a failed request can be retried with the same key.
 */
@Injectable()
export class IdempotencyService {
  constructor(
    private readonly transactions: Transactions,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async run<T>(scope: string, key: string | undefined, request: unknown, work: (tx: Tx) => Promise<T>): Promise<T> {
    if (key === undefined) return this.transactions.run(work);
    const requestHash = createHash('sha256').update(JSON.stringify(request ?? null)).digest('hex');
    return this.transactions.run(async (tx) => {
      const inserted = await tx.query(
        `INSERT INTO idempotency_keys (scope, key, request_hash, response, created_at) VALUES ($1, $2, $3, 'null', $4)
         ON CONFLICT (scope, key) DO NOTHING RETURNING key`,
        [scope, key, requestHash, this.clock.now()],
      );
      if (inserted.length === 0) {
        const [previous]: { request_hash: string; response: T }[] = await tx.query(
          'SELECT request_hash, response FROM idempotency_keys WHERE scope = $1 AND key = $2',
          [scope, key],
        );
        if (previous.request_hash !== requestHash) throw new IdempotencyKeyReusedError();
        return previous.response;
      }
      const response = await work(tx);
      await tx.query('UPDATE idempotency_keys SET response = $3 WHERE scope = $1 AND key = $2', [scope, key, JSON.stringify(response)]);
      return response;
    });
  }
}
