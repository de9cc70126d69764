/**
 * All business time comes from one injectable clock; SQL receives its time as a parameter,
 * never `now()`, so tests can move time (grant expiry, cooling windows) deterministically.
 */
export const CLOCK = Symbol('CLOCK');

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
