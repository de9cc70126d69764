import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { RateLimiterPostgres } from 'rate-limiter-flexible';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { APP_CONFIG, type AppConfig } from '@loomworks/config';
import { RateLimitedError } from './domain/errors';

/**
 * Counts public starts per client address (each writes a row), and failed attempts per account (and per signup) and per client address; once either reaches
 * the configured maximum within the window, further attempts get 429 until the window passes.
 * Counters live in Postgres (table `login_throttle`), so every API instance sees the same ones.
 */
@Injectable()
export class LoginThrottle {
  private readonly byAccount: RateLimiterPostgres;
  private readonly byAddress: RateLimiterPostgres;
  private readonly startsByAddress: RateLimiterPostgres;

  constructor(@Inject(APP_CONFIG) config: AppConfig, @InjectDataSource() dataSource: DataSource) {
    const { maxFailures, maxFailuresPerAddress, windowSeconds } = config.loginRateLimit;
    const store = {
      storeClient: (dataSource.driver as PostgresDriver).master,
      storeType: 'pool',
      tableName: 'login_throttle',
      tableCreated: true, // by migration
      duration: windowSeconds,
    };
    this.byAccount = new RateLimiterPostgres({ ...store, keyPrefix: 'account', points: maxFailures });
    this.byAddress = new RateLimiterPostgres({ ...store, keyPrefix: 'address', points: maxFailuresPerAddress });
    this.startsByAddress = new RateLimiterPostgres({
      ...store,
      keyPrefix: 'starts',
      points: config.loginRateLimit.startsPerAddressPerMinute,
      duration: 60,
    });
  }

  /** Counts a public start (signup, login, claim) from the address; 429 beyond the per-minute limit. */
  async countStart(address: string): Promise<void> {
    try {
      await this.startsByAddress.consume(address);
    } catch (rejection) {
      if (rejection instanceof Error) throw rejection;
      throw new RateLimitedError(Math.max(1, Math.ceil((rejection as { msBeforeNext: number }).msBeforeNext / 1000)));
    }
  }

  async assertAllowed(account: string | null, address: string): Promise<void> {
    const checks = await Promise.all([
      account ? this.byAccount.get(account).then((r) => ({ r, max: this.byAccount.points })) : null,
      this.byAddress.get(address).then((r) => ({ r, max: this.byAddress.points })),
    ]);
    const blocked = checks.flatMap((c) => (c?.r && c.r.consumedPoints >= c.max ? [c.r.msBeforeNext] : []));
    if (blocked.length > 0) throw new RateLimitedError(Math.max(1, Math.ceil(Math.max(...blocked) / 1000)));
  }

  async recordFailure(account: string | null, address: string): Promise<void> {
    await Promise.all([account ? this.byAccount.penalty(account, 1) : null, this.byAddress.penalty(address, 1)]);
  }

  async recordSuccess(account: string): Promise<void> {
    await this.byAccount.delete(account);
  }
}
