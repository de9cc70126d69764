import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, DomainError, type Clock } from '@loomworks/common';
import { APP_CONFIG, type AppConfig } from '@loomworks/config';
import { Transactions, type Tx } from './transactions';

export class IdempotencyKeyReusedError extends DomainError {
  readonly code = 'idempotency_key_reused';
  constructor() {
    super('This Idempotency-Key was already used with a different request');
  }
}

export class IdempotencyKeyInProgressError extends DomainError {
  readonly code = 'idempotency_key_in_progress';
  constructor() {
    super('A request with this Idempotency-Key is still being processed; retry shortly');
  }
}

export type IdempotencyStart<T> = { replay: T } | { claimed: true };

/**
 * Idempotency-Key support: the work and the record of its response commit in one transaction.
 * A concurrent request with the same key waits on the key's unique index until the first
 * commits (then gets its response) or rolls back (then runs itself) — no window for a double.
 * Errors are not recorded, so a failed request can be retried with the same key.
 */
@Injectable()
export class IdempotencyService {
  /** A pending claim older than this is taken over (its request died without finishing). */
  private readonly pendingMs: number;

  constructor(
    private readonly transactions: Transactions,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.pendingMs = config.idempotencyPendingSeconds * 1000;
  }

  /**
   * For work that must not hold a transaction open (an LLM call): claims the key in a short
   * transaction of its own; finish with `complete` inside the work's final transaction, or
   * `abandon` when the work fails (so a retry may run it).
   */
  async begin<T>(scope: string, key: string, request: unknown): Promise<IdempotencyStart<T>> {
    const requestHash = this.hash(request);
    return this.transactions.run(async (tx) => {
      const now = this.clock.now();
      const inserted = await tx.query(
        `INSERT INTO idempotency_keys (scope, key, request_hash, response, created_at) VALUES ($1, $2, $3, 'null', $4)
         ON CONFLICT (scope, key) DO NOTHING RETURNING key`,
        [scope, key, requestHash, now],
      );
      if (inserted.length === 1) return { claimed: true as const };
      const [row]: { request_hash: string; response: T | null; created_at: Date }[] = await tx.query(
        'SELECT request_hash, response, created_at FROM idempotency_keys WHERE scope = $1 AND key = $2 FOR UPDATE',
        [scope, key],
      );
      if (row.request_hash !== requestHash) throw new IdempotencyKeyReusedError();
      if (row.response !== null) return { replay: row.response };
      if (now.getTime() - row.created_at.getTime() < this.pendingMs) throw new IdempotencyKeyInProgressError();
      await tx.query('UPDATE idempotency_keys SET created_at = $3 WHERE scope = $1 AND key = $2', [scope, key, now]);
      return { claimed: true as const };
    });
  }

  async complete(tx: Tx, scope: string, key: string, response: unknown): Promise<void> {
    await tx.query('UPDATE idempotency_keys SET response = $3 WHERE scope = $1 AND key = $2', [scope, key, JSON.stringify(response)]);
  }

  async abandon(scope: string, key: string): Promise<void> {
    await this.transactions.manager.query("DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND response = 'null'::jsonb", [scope, key]);
  }

  private hash(request: unknown): string {
    return createHash('sha256').update(JSON.stringify(request ?? null)).digest('hex');
  }

  async run<T>(scope: string, key: string | undefined, request: unknown, work: (tx: Tx) => Promise<T>): Promise<T> {
    if (key === undefined) return this.transactions.run(work);
    const requestHash = this.hash(request);
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
        if (previous.response === null) throw new IdempotencyKeyInProgressError();
        return previous.response;
      }
      const response = await work(tx);
      await this.complete(tx, scope, key, response);
      return response;
    });
  }
}
