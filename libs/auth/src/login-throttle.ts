import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '@loomworks/config';
import { poolOf } from '@loomworks/database';
import { throttleSubject } from './domain/client-address';
import { RateLimitedError } from './domain/errors';

/** DESIGN (Mail abuse): at most this many code mails to one recipient address per hour. */
export const CODE_MAILS_PER_RECIPIENT_PER_HOUR = 5;

/** An error class whose instances mean "a wrong credential was tried" (the attempt stays counted). */
type GuessError = abstract new (...args: never[]) => Error;

/**
 * Throttles for the public auth surface, in Postgres (table `login_throttle`) so every API
 * instance shares them. Clients are keyed by address (an IPv6 client by its /64):
 * - starts (signup, login, claim) per client and minute;
 * - attempts per client: taken before anything is verified, given back when the attempt
 *   succeeds or ends for another reason than a wrong credential, so junk from one client only
 *   ever blocks that client;
 * - attempts per account (a login's address, a signup's recipient address across all its
 *   registrations, a person's step-up): taken only once the passkey verified (DESIGN: a
 *   stranger's junk never locks the owner out), before the code is checked;
 * - code mails per recipient address and hour (a begin can't be used to flood a mailbox).
 * Every attempt is taken with one atomic upsert, so parallel guesses cannot slip past the limit.
 */
@Injectable()
export class LoginThrottle {
  private readonly byAccount: RateLimiterPostgres;
  private readonly byAddress: RateLimiterPostgres;
  private readonly startsByAddress: RateLimiterPostgres;
  private readonly codeMailsByRecipient: RateLimiterPostgres;

  constructor(@Inject(APP_CONFIG) config: AppConfig, @InjectDataSource() dataSource: DataSource) {
    const { maxFailures, maxFailuresPerAddress, windowSeconds } = config.loginRateLimit;
    const store = {
      // named statements unless behind a transaction-mode pooler
      storeClient: poolOf(dataSource),
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
    this.codeMailsByRecipient = new RateLimiterPostgres({ ...store, keyPrefix: 'code-mails', points: CODE_MAILS_PER_RECIPIENT_PER_HOUR, duration: 3600 });
  }

  /** Counts a public start (signup, login, claim) from the client; 429 beyond the per-minute limit. */
  async countStart(address: string): Promise<void> {
    await take(this.startsByAddress, addressKey(address));
  }

  /** Counts a code mail to `recipient` (a canonical address); 429 beyond the hourly limit. */
  async countCodeMail(recipient: string): Promise<void> {
    await take(this.codeMailsByRecipient, digest(`recipient:${recipient}`));
  }

  /**
   * Runs one credential check from the client at `address`. The client's attempt is taken first
   * (parallel guesses cannot outrun the limit); `attempt` takes the account's attempt itself
   * (takeAccountAttempt, once the passkey verified) and answers the account it proved. On success
   * the client gets its attempt back and the account starts afresh; an error of a `guesses`
   * class stays counted, any other error was not a guess and gives the client's attempt back.
   */
  async guarded<T>(address: string, guesses: GuessError[], attempt: () => Promise<{ result: T; account: string }>): Promise<T> {
    await take(this.byAddress, addressKey(address));
    try {
      const { result, account } = await attempt();
      await Promise.all([this.byAddress.reward(addressKey(address), 1), this.byAccount.delete(accountKey(account))]);
      return result;
    } catch (error) {
      const guess = error instanceof RateLimitedError || guesses.some((kind) => error instanceof kind);
      if (!guess) await this.byAddress.reward(addressKey(address), 1);
      throw error;
    }
  }

  /** Takes one attempt from the account's budget (429 when spent); call once its passkey verified. */
  async takeAccountAttempt(account: string): Promise<void> {
    await take(this.byAccount, accountKey(account));
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
const addressKey = (address: string) => digest(`address:${throttleSubject(address)}`);
