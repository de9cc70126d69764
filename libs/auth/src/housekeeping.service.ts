import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { CLOCK, type Clock } from '@loomworks/common';
import { Scheduler, Transactions } from '@loomworks/database';
import { RegistrationsRepository } from './persistence/registrations.repository';
import { SessionsRepository } from './persistence/sessions.repository';

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
    private readonly registrations: RegistrationsRepository,
    private readonly sessions: SessionsRepository,
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
    const tx = this.transactions.manager;
    const registrations = await this.registrations.deleteExpired(tx, dayAgo);
    return { registrations, ...(await this.sessions.deleteExpired(tx, dayAgo, retention)) };
  }
}
