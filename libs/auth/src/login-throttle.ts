import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { APP_CONFIG, type AppConfig } from '@loomworks/config';
import { RateLimitedError } from './domain/errors';

/**
 * Throttles for the public auth surface, in Postgres (table `login_throttle`) so every API
 * instance shares them:
 * - starts (signup, login, claim) per client address and minute;
 * - attempts per client address: taken before anything is verified, given back when the attempt
 *   succeeds, so junk from one address only ever blocks that address;
 * - attempts per account (or signup): taken only once the passkey verified (DESIGN: a stranger's
 *   junk never locks the owner out), before the TOTP code is checked.
 * Every attempt is taken with one atomic upsert, so parallel guesses cannot slip past the limit.
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
    await take(this.startsByAddress, addressKey(address));
  }

  /** Takes one attempt from the address's budget (429 when spent); call before verifying anything. */
  async takeAddressAttempt(address: string): Promise<void> {
    await take(this.byAddress, addressKey(address));
  }

  /** Takes one attempt from the account's budget (429 when spent); call once its passkey verified. */
  async takeAccountAttempt(account: string): Promise<void> {
    await take(this.byAccount, accountKey(account));
  }

  /** A successful attempt: the address gets its attempt back and the account starts afresh. */
  async recordSuccess(address: string, account: string): Promise<void> {
    await Promise.all([this.byAddress.reward(addressKey(address), 1), this.byAccount.delete(accountKey(account))]);
  }

  /** An attempt that ended for another reason than a wrong credential (e.g. suspended): not a guess. */
  async giveBackAddressAttempt(address: string): Promise<void> {
    await this.byAddress.reward(addressKey(address), 1);
  }
}

async function take(limiter: RateLimiterPostgres, key: string): Promise<void> {
  try {
    await limiter.consume(key);
  } catch (rejection) {
    if (!(rejection instanceof RateLimiterRes)) throw rejection;
    throw new RateLimitedError(Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)));
  }
}

/** Keys are fixed-length digests: any address or account (a 254-character email) fits the key column. */
const digest = (text: string) => createHash('sha256').update(text).digest('base64url');
const accountKey = (account: string) => digest(`account:${account}`);
const addressKey = (address: string) => digest(`address:${address}`);
