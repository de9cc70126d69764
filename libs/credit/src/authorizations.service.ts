import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { CLOCK, ValidationFailedError, type Clock } from '@loomworks/common';
import { Scheduler, Transactions, type Tx } from '@loomworks/database';
import { Outbox } from '@loomworks/outbox';
import { EngagementNotFoundError, PersonNotFoundError } from '@loomworks/persons';
import { SystemConfigService } from '@loomworks/system-config';
import type { Authorization, AuthorizeCommand } from './domain/authorizations';
import {
  AccountDeletedError,
  AuthorizationExpiredError,
  AuthorizationNotActiveError,
  AuthorizationNotCoveredError,
  AuthorizationNotFoundError,
  AuthorizationPayerSuspendedError,
  CaptureExceedsAuthorizationError,
  InvalidAmountError,
  LimitReachedError,
  UnknownAssetError,
} from './domain/errors';
import { AuthorizationsRepository } from './persistence/authorizations.repository';
import { jsonAmount } from './views';

const AUTHORIZE_SETTINGS = ['credit_tier_priority', 'authorization_max_seconds'] as const;
const MAX_SETTINGS_ATTEMPTS = 5;
const MAX_AMOUNT = BigInt(Number.MAX_SAFE_INTEGER);
/** How often the sweep looks for authorizations past their expiry (a capture after it is refused anyway). */
const SWEEP_EVERY_MS = 15_000;
const SWEEP_BATCH = 500;

/**
 * Authorizations (DESIGN.md "Authorizations and refunds"): another service of the operator holds
 * credit of a person or a team pool for its own work, captures up to the held amount (the rest
 * goes back) or voids it; what is neither is released by the expiry sweep with an
 * `authorization.expired` event. Each step is one of the ledger's SQL functions, under the
 * payer's lock (persistence/sql/authorize.sql, capture_authorization.sql, end_authorization.sql).
 */
@Injectable()
export class AuthorizationsService implements OnModuleInit {
  constructor(
    private readonly transactions: Transactions,
    private readonly authorizations: AuthorizationsRepository,
    private readonly settings: SystemConfigService,
    private readonly outbox: Outbox,
    private readonly scheduler: Scheduler,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    this.scheduler.every('authorizations.expire', SWEEP_EVERY_MS, () => this.sweepExpired());
  }

  /** Holds `amount` of the payer's credit; in the caller's transaction when given (its Idempotency-Key record). */
  async authorize(command: AuthorizeCommand, tx?: Tx): Promise<Authorization> {
    if ((command.personId === undefined) === (command.engagementId === undefined)) {
      throw new ValidationFailedError([{ field: 'personId', message: 'exactly one of personId and engagementId is required' }]);
    }
    if (command.amount <= 0n || command.amount > MAX_AMOUNT) throw new InvalidAmountError('an authorization holds a positive amount of at most 2^53−1');
    const id = randomUUID();
    return this.transactions.join(tx, async (t) => {
      for (let attempt = 1; ; attempt++) {
        const { version, values } = await this.settings.cached(AUTHORIZE_SETTINGS);
        const [priority, maxSeconds] = values;
        const seconds = command.expiresInSeconds ?? maxSeconds;
        if (!Number.isSafeInteger(seconds) || seconds < 1 || seconds > maxSeconds) {
          throw new ValidationFailedError([{ field: 'expiresInSeconds', message: `expiresInSeconds must be from 1 to ${maxSeconds} (authorization_max_seconds)` }]);
        }
        if (command.asset !== undefined && !priority.includes(command.asset)) throw new UnknownAssetError(command.asset);
        const at = this.clock.now();
        const { outcome, retryAt } = await this.authorizations.authorize(t, {
          id,
          serviceKeyId: command.serviceKeyId,
          personId: command.personId ?? null,
          engagementId: command.engagementId ?? null,
          amount: command.amount,
          assets: command.asset !== undefined ? [command.asset] : priority,
          at,
          expiresAt: new Date(at.getTime() + seconds * 1000),
          metadata: command.metadata ?? {},
          settingsVersion: version,
        });
        switch (outcome) {
          case 'authorized':
            return (await this.authorizations.byId(t, id))!;
          case 'stale_settings':
            if (attempt >= MAX_SETTINGS_ATTEMPTS) throw new Error('system settings kept changing while authorizing');
            this.settings.invalidate(version);
            continue;
          case 'person_not_found':
            throw new PersonNotFoundError(command.personId!);
          case 'engagement_not_found':
            throw new EngagementNotFoundError(command.engagementId!);
          case 'account_suspended':
            throw new AuthorizationPayerSuspendedError();
          case 'account_deleted':
            throw new AccountDeletedError();
          case 'credit_exhausted':
            throw new AuthorizationNotCoveredError(command.amount);
          case 'limit_reached':
            throw new LimitReachedError(retryAt!, at);
        }
      }
    });
  }

  /** Charges up to the authorized amount and returns the rest to the payer. */
  async capture(id: string, amount: bigint, tx?: Tx): Promise<Authorization> {
    if (amount < 0n || amount > MAX_AMOUNT) throw new InvalidAmountError('a capture takes from 0 to 2^53−1 credits');
    return this.transactions.join(tx, async (t) => {
      const { outcome } = await this.authorizations.capture(t, id, amount, this.clock.now());
      if (outcome !== 'captured') await this.refuse(t, id, outcome);
      return (await this.authorizations.byId(t, id))!;
    });
  }

  /** Returns the whole authorized amount to the payer. */
  async void(id: string, tx?: Tx): Promise<Authorization> {
    return this.transactions.join(tx, async (t) => {
      const outcome = await this.authorizations.end(t, id, 'voided', this.clock.now());
      if (outcome !== 'voided') await this.refuse(t, id, outcome);
      return (await this.authorizations.byId(t, id))!;
    });
  }

  async get(id: string): Promise<Authorization> {
    const found = await this.authorizations.byId(this.transactions.manager, id);
    if (!found) throw new AuthorizationNotFoundError();
    return found;
  }

  private async refuse(t: Tx, id: string, outcome: string): Promise<never> {
    if (outcome === 'authorization_not_found') throw new AuthorizationNotFoundError();
    if (outcome === 'authorization_expired') throw new AuthorizationExpiredError();
    const current = await this.authorizations.byId(t, id);
    if (outcome === 'capture_exceeds_authorization') throw new CaptureExceedsAuthorizationError(current!.amount);
    const status = current!.status === 'active' ? 'expired' : current!.status;
    throw new AuthorizationNotActiveError(status);
  }

  /**
   * Releases every active authorization past its expiry, each in a short transaction of its own
   * with its `authorization.expired` event. Answers how many expired. A capture racing it waits
   * on the authorization's lock and then finds it expired (or the sweep finds it captured).
   */
  async sweepExpired(): Promise<number> {
    let expired = 0;
    for (;;) {
      const ids = await this.authorizations.dueIds(this.transactions.manager, this.clock.now(), SWEEP_BATCH);
      for (const id of ids) if (await this.expire(id)) expired++;
      if (ids.length < SWEEP_BATCH) return expired;
    }
  }

  private expire(id: string): Promise<boolean> {
    return this.transactions.run(async (tx) => {
      const outcome = await this.authorizations.end(tx, id, 'expired', this.clock.now());
      if (outcome !== 'expired') return false;
      const a = (await this.authorizations.byId(tx, id))!;
      await this.outbox.recordEvent(tx, {
        type: 'authorization.expired',
        data: {
          authorizationId: a.id,
          personId: a.personId,
          engagementId: a.engagementId,
          asset: a.asset,
          amount: jsonAmount(a.amount),
          expiresAt: a.expiresAt.toISOString(),
        },
      });
      return true;
    });
  }
}
