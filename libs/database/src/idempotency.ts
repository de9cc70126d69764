import { createHash, randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { CLOCK, DomainError, type Clock } from '@loomworks/common';
import { APP_CONFIG, type AppConfig } from '@loomworks/config';
import { Scheduler } from './scheduler';
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

/** A claim on a key, held by one request: only its token may complete or abandon the record. */
export interface IdempotencyClaim {
  scope: string;
  key: string;
  token: string;
}

export type IdempotencyStart<T> = { replay: T } | { claim: IdempotencyClaim };

/** API.md: the same key and body return the first response for 24 h; then the record is gone. */
export const IDEMPOTENCY_RETENTION_MS = 24 * 3_600_000;
const SWEEP_EVERY_MS = 10 * 60_000;

/**
 * How a response is kept for replay. Responses that carry a secret (a claim URL) are stored
 * sealed — encrypted by the caller's SecretBox, which lives above this library — never in clear.
 */
export interface ResponseSeal<T> {
  seal(response: T): unknown;
  open(stored: unknown): T;
}

const IN_CLEAR: ResponseSeal<never> = { seal: (response) => response, open: (stored) => stored as never };

/** A record (of table alias `k`) past its retention ($1), unless a request still holds it at $2. */
const EXPIRED = `k.created_at < $1 AND (k.response <> 'null'::jsonb OR k.locked_until IS NULL OR k.locked_until < $2)`;

/**
 * Claims the key ($3, $4) for a new request: inserts its record, or replaces one that expired
 * (a key whose record expired is a new key), in one statement; no row when the key is live.
 */
const CLAIM_KEY = `
  INSERT INTO idempotency_keys AS k (scope, key, request_hash, response, created_at, claim_token, locked_until)
  VALUES ($3, $4, $5, 'null', $2, $6, $7)
  ON CONFLICT (scope, key) DO UPDATE
    SET request_hash = EXCLUDED.request_hash, response = 'null', created_at = EXCLUDED.created_at,
        claim_token = EXCLUDED.claim_token, locked_until = EXCLUDED.locked_until
    WHERE ${EXPIRED}
  RETURNING k.key`;

/**
 * The claim was taken over by a later request (the first ran past its pending window): the first
 * request must not commit, so completing throws and rolls its transaction back.
 */
export class IdempotencyClaimLostError extends DomainError {
  readonly code = 'idempotency_key_in_progress';
  constructor() {
    super('A newer request with this Idempotency-Key took it over; this one was not applied');
  }
}

/**
 * Idempotency-Key support: the work and the record of its response commit in one transaction.
 * A concurrent request with the same key waits on the key's unique index until the first
 * commits (then gets its response) or rolls back (then runs itself) — no window for a double.
 * Errors are not recorded, so a failed request can be retried with the same key.
 */
@Injectable()
export class IdempotencyService implements OnModuleInit {
  /** How long a pending claim blocks retries before a retry may take it over. */
  private readonly pendingMs: number;

  constructor(
    private readonly transactions: Transactions,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly scheduler: Scheduler,
  ) {
    this.pendingMs = config.idempotencyPendingSeconds * 1000;
  }

  onModuleInit(): void {
    this.scheduler.every('idempotency.sweep', SWEEP_EVERY_MS, () => this.sweepExpired());
  }

  /** Deletes records older than 24 h (idempotent; any number of instances may run it). */
  async sweepExpired(): Promise<number> {
    const now = this.clock.now();
    const result: [unknown[], number] = await this.transactions.manager.query(
      `DELETE FROM idempotency_keys k WHERE ${EXPIRED}`,
      [this.retentionStart(now), now],
    );
    return result[1];
  }

  private retentionStart(now: Date): Date {
    return new Date(now.getTime() - IDEMPOTENCY_RETENTION_MS);
  }

  /**
   * For work that must not hold a transaction open (an LLM call): claims the key in a short
   * transaction of its own; finish with `complete` inside the work's final transaction, or
   * `abandon` when the work fails (so a retry may run it).
   *
   * Fencing: a pending claim is taken over only after its window; the takeover gives the key a
   * new token, so the first request's `complete` (which names its own token) no longer matches
   * and its transaction rolls back — the work is applied at most once, whoever finishes.
   */
  async begin<T>(scope: string, key: string, request: unknown): Promise<IdempotencyStart<T>> {
    const requestHash = this.hash(request);
    const token = randomUUID();
    return this.transactions.run(async (tx) => {
      const now = this.clock.now();
      const lockedUntil = new Date(now.getTime() + this.pendingMs);
      const inserted = await tx.query(CLAIM_KEY, [this.retentionStart(now), now, scope, key, requestHash, token, lockedUntil]);
      if (inserted.length === 1) return { claim: { scope, key, token } };
      const [row]: { request_hash: string; response: T | null; locked_until: Date | null }[] = await tx.query(
        'SELECT request_hash, response, locked_until FROM idempotency_keys WHERE scope = $1 AND key = $2 FOR UPDATE',
        [scope, key],
      );
      if (row.request_hash !== requestHash) throw new IdempotencyKeyReusedError();
      if (row.response !== null) return { replay: row.response };
      if (row.locked_until !== null && now < row.locked_until) throw new IdempotencyKeyInProgressError();
      await tx.query('UPDATE idempotency_keys SET claim_token = $3, locked_until = $4 WHERE scope = $1 AND key = $2', [scope, key, token, lockedUntil]);
      return { claim: { scope, key, token } };
    });
  }

  /** Records the response in the work's transaction; throws (rolling it back) when the claim was taken over. */
  async complete(tx: Tx, claim: IdempotencyClaim, response: unknown): Promise<void> {
    const [{ n }]: { n: number }[] = await tx.query(
      `WITH done AS (
         UPDATE idempotency_keys SET response = $4, locked_until = NULL
          WHERE scope = $1 AND key = $2 AND claim_token = $3 AND response = 'null'::jsonb RETURNING 1)
       SELECT count(*)::int AS n FROM done`,
      [claim.scope, claim.key, claim.token, JSON.stringify(response)],
    );
    if (n !== 1) throw new IdempotencyClaimLostError();
  }

  /** Frees the key for a retry — only while this claim still holds it. */
  async abandon(claim: IdempotencyClaim): Promise<void> {
    await this.transactions.manager.query(
      "DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND claim_token = $3 AND response = 'null'::jsonb",
      [claim.scope, claim.key, claim.token],
    );
  }

  private hash(request: unknown): string {
    return createHash('sha256').update(JSON.stringify(request ?? null)).digest('hex');
  }

  async run<T>(scope: string, key: string | undefined, request: unknown, work: (tx: Tx) => Promise<T>, seal: ResponseSeal<T> = IN_CLEAR): Promise<T> {
    if (key === undefined) return this.transactions.run(work);
    const requestHash = this.hash(request);
    return this.transactions.run(async (tx) => {
      const now = this.clock.now();
      const inserted = await tx.query(CLAIM_KEY, [this.retentionStart(now), now, scope, key, requestHash, null, null]);
      if (inserted.length === 0) {
        const [previous]: { request_hash: string; response: unknown }[] = await tx.query(
          'SELECT request_hash, response FROM idempotency_keys WHERE scope = $1 AND key = $2',
          [scope, key],
        );
        if (previous.request_hash !== requestHash) throw new IdempotencyKeyReusedError();
        if (previous.response === null) throw new IdempotencyKeyInProgressError();
        return seal.open(previous.response);
      }
      const response = await work(tx);
      await tx.query('UPDATE idempotency_keys SET response = $3 WHERE scope = $1 AND key = $2', [scope, key, JSON.stringify(seal.seal(response))]);
      return response;
    });
  }
}
