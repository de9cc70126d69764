import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { CLOCK, type Clock } from '@loomworks/common';
import { Scheduler, Transactions } from '@loomworks/database';
import { AuthRepository } from './persistence/auth.repository';

const SWEEP_EVERY_MS = 10 * 60_000;
const DAY_MS = 86_400_000;
/** Ended or expired sessions are kept this long (for support questions), then deleted. */
const SESSION_RETENTION_MS = 30 * DAY_MS;

/**
 * Deletes what can no longer be used: signups and login challenges a day after they expired,
 * sessions a month after they ended. A scheduled job (idempotent DELETEs).
 */
@Injectable()
export class AuthHousekeeping implements OnModuleInit {
  constructor(
    private readonly transactions: Transactions,
    private readonly auth: AuthRepository,
    private readonly scheduler: Scheduler,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    this.scheduler.every('auth.housekeeping', SWEEP_EVERY_MS, () => this.sweep());
  }

  async sweep(): Promise<{ registrations: number; loginChallenges: number; sessions: number }> {
    const now = this.clock.now().getTime();
    const dayAgo = new Date(now - DAY_MS);
    const retention = new Date(now - SESSION_RETENTION_MS);
    return this.auth.deleteExpired(this.transactions.manager, dayAgo, retention);
  }
}
