/**
 * Rates: credits per million tokens as a positive rational num/den, so fractional list prices
 * (e.g. 0.1× cache reads of an odd rate) stay exact. Converting usage to credits is the ledger's
 * SQL (sql/stage_charges.sql); test/support/oracle.ts keeps an independent TypeScript copy to
 * check it against.
 */
import { TOKEN_KINDS, type TokenKind } from '@loomworks/common';

export { TOKEN_KINDS, type TokenKind };

export interface Rate {
  /** the rate row's id, recorded with each charge so it can be recomputed later */
  id: string;
  tokenKind: TokenKind;
  numerator: bigint;
  denominator: bigint;
}

/** A rate version: the rate of one model's token kind, in force from `effectiveFrom`. */
export interface RateRow extends Rate {
  model: string;
  effectiveFrom: Date;
}
