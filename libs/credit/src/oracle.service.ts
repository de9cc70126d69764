import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, isCompleteUsage, type Clock, type Usage } from '@loomworks/common';
import { Transactions, type Tx } from '@loomworks/database';
import { InvalidRateError, MissingRateError } from './domain/errors';
import { creditsFor, TOKEN_KINDS, type RateRow, type TokenKind } from './domain/oracle';
import { InvalidAmountError } from './domain/errors';
import { RatesRepository } from './persistence/rates.repository';

export interface Charge {
  model: string;
  credits: bigint;
  usage: Usage;
  /** the rate rows applied, so the charge can be recomputed and audited later */
  rates: { id: string; tokenKind: TokenKind; creditsPerMillion: string }[];
}

export interface SetRateCommand {
  model: string;
  tokenKind: TokenKind;
  /** credits per million tokens: a positive integer, or a positive fraction num/den */
  numerator: bigint;
  denominator?: bigint;
}

/** Prices token usage in credits from versioned, per-model rates. */
@Injectable()
export class OracleService {
  constructor(
    private readonly transactions: Transactions,
    private readonly rates: RatesRepository,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** The rate of each token kind for `model` in force at `at` (the newest row effective by then). */
  async ratesAt(model: string, at: Date, tx?: Tx): Promise<Map<TokenKind, RateRow>> {
    const rows = await this.rates.ratesAt(tx ?? this.transactions.manager, model, at);
    return new Map(rows.map((r) => [r.tokenKind, r]));
  }

  /**
   * Credits for one LLM call's usage at the current rates, rounded up. A missing rate for any
   * kind that has tokens (or no rates at all for the model) raises MissingRateError: never free.
   */
  async charge(model: string, usage: Usage, tx?: Tx): Promise<Charge> {
    if (!isCompleteUsage(usage)) throw new InvalidAmountError('token counts must be non-negative integers');
    const rates = await this.ratesAt(model, this.clock.now(), tx);
    if (rates.size === 0) throw new MissingRateError(model, 'any');
    const used = TOKEN_KINDS.filter((kind) => usage[kind] > 0);
    for (const kind of used) if (!rates.has(kind)) throw new MissingRateError(model, kind);
    return {
      model,
      credits: creditsFor(usage, rates),
      usage,
      rates: used.map((kind) => {
        const r = rates.get(kind)!;
        return { id: r.id, tokenKind: kind, creditsPerMillion: r.denominator === 1n ? `${r.numerator}` : `${r.numerator}/${r.denominator}` };
      }),
    };
  }

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
