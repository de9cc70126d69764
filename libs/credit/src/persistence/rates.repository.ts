import { Injectable } from '@nestjs/common';
import type { Tx } from '@loomworks/database';
import type { RateRow, TokenKind } from '../domain/oracle';

interface RateSqlRow {
  id: string;
  model: string;
  token_kind: TokenKind;
  num: string;
  den: string;
  effective_from: Date;
}

const toRate = (r: RateSqlRow): RateRow => ({
  id: r.id,
  model: r.model,
  tokenKind: r.token_kind,
  numerator: BigInt(r.num),
  denominator: BigInt(r.den),
  effectiveFrom: r.effective_from,
});

const RATE_COLUMNS =
  'id::text AS id, model, token_kind, credits_per_million_num::text AS num, credits_per_million_den::text AS den, effective_from';

/** credit.oracle_rate_config: versioned rates, never updated (a new version is a new row). */
@Injectable()
export class RatesRepository {
  /** The newest version of every model and kind effective by `at`. */
  async allAt(tx: Tx, at: Date): Promise<RateRow[]> {
    const rows: RateSqlRow[] = await tx.query(
      `SELECT DISTINCT ON (model, token_kind) ${RATE_COLUMNS}
         FROM credit.oracle_rate_config WHERE effective_from <= $1
        ORDER BY model, token_kind, effective_from DESC, id DESC`,
      [at],
    );
    return rows.map(toRate);
  }

  async insert(tx: Tx, rate: { model: string; tokenKind: TokenKind; numerator: bigint; denominator: bigint; effectiveFrom: Date }): Promise<RateRow> {
    const [row]: RateSqlRow[] = await tx.query(
      `INSERT INTO credit.oracle_rate_config (model, token_kind, credits_per_million_num, credits_per_million_den, effective_from, created_at)
       VALUES ($1, $2, $3, $4, $5, $5) RETURNING ${RATE_COLUMNS}`,
      [rate.model, rate.tokenKind, rate.numerator.toString(), rate.denominator.toString(), rate.effectiveFrom],
    );
    return toRate(row);
  }
}
