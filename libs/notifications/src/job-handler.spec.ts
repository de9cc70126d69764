import { exponentialBackoff } from './job-handler';
import { mailRetryDelayMs } from './mail/mail.handler';

describe('exponentialBackoff', () => {
  it('doubles from the base, stays under the cap, and gives up at the last attempt', () => {
    const delay = exponentialBackoff({ baseMs: 1000, capMs: 5000, maxAttempts: 5 });
    expect([1, 2, 3, 4, 5].map(delay)).toEqual([1000, 2000, 4000, 5000, null]);
  });

  it('mail: 30 s doubling, capped at an hour, given up after the 12th attempt', () => {
    expect([1, 2, 3, 7, 8, 11].map(mailRetryDelayMs)).toEqual([30_000, 60_000, 120_000, 1_920_000, 3_600_000, 3_600_000]);
    expect(mailRetryDelayMs(12)).toBeNull();
  });
});
