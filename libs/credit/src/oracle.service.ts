import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, type Clock } from '@loomworks/common';
import { Transactions, type Tx } from '@loomworks/database';
import { InvalidRateError } from './domain/errors';
import { TOKEN_KINDS, type RateRow, type TokenKind } from './domain/oracle';
import { RatesRepository } from './persistence/rates.repository';

export interface SetRateCommand {
  model: string;
  tokenKind: TokenKind;
  /** credits per million tokens: a positive integer, or a positive fraction num/den */
  numerator: bigint;
  denominator?: bigint;
}

/**
 * The versioned, per-model rates. Pricing itself is the ledger's SQL (sql/stage_charges.sql,
 * ceil_credits.sql): one rule, applied under the person's lock when a hold settles.
 */
@Injectable()
export class OracleService {
  constructor(
    private readonly transactions: Transactions,
    private readonly rates: RatesRepository,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Adds a rate version effective from now; past charges keep the rows they recorded. */
  async setRate(command: SetRateCommand, tx?: Tx): Promise<RateRow> {
    const denominator = command.denominator ?? 1n;
    if (command.numerator <= 0n || denominator <= 0n) throw new InvalidRateError('a rate must be positive');
    if (!TOKEN_KINDS.includes(command.tokenKind)) throw new InvalidRateError(`unknown token kind ${command.tokenKind}`);
    if (command.model.trim() === '') throw new InvalidRateError('a rate needs a model');
    return this.rates.insert(tx ?? this.transactions.manager, {
      model: command.model.trim(),
      tokenKind: command.tokenKind,
      numerator: command.numerator,
      denominator,
      effectiveFrom: this.clock.now(),
    });
  }

  /** The rates in force now, per model and kind. */
  async currentRates(tx?: Tx): Promise<RateRow[]> {
    return this.rates.allAt(tx ?? this.transactions.manager, this.clock.now());
  }
}
