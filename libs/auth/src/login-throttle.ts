import { Inject, Injectable } from '@nestjs/common';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { APP_CONFIG, type AppConfig } from '@loomworks/config';
import { RateLimitedError } from './domain/errors';

/**
 * Counts failed attempts per account (and per signup) and per client address; once either reaches
 * the configured maximum within the window, further attempts get 429 until the window passes.
 * In process memory: one API instance (a shared store is a drop-in with rate-limiter-flexible).
 */
@Injectable()
export class LoginThrottle {
  private readonly byAccount: RateLimiterMemory;
  private readonly byAddress: RateLimiterMemory;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const { maxFailures, maxFailuresPerAddress, windowSeconds } = config.loginRateLimit;
    this.byAccount = new RateLimiterMemory({ keyPrefix: 'account', points: maxFailures, duration: windowSeconds });
    this.byAddress = new RateLimiterMemory({ keyPrefix: 'address', points: maxFailuresPerAddress, duration: windowSeconds });
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
