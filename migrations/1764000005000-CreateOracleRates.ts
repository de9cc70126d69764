import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Credits per million tokens, versioned: a change inserts a row effective from then, so a past
 * charge can always be recomputed from the rate rows its flow's metadata names.
 * Seeds: list prices at 1 credit = US$0.001; cache writes 1.25× and cache reads 0.1× input.
 */
const SEED_RATES: Array<[model: string, input: number, output: number]> = [
  ['claude-haiku-4-5-20251001', 1000, 5000],
  ['claude-sonnet-4-6', 3000, 15000],
  ['claude-opus-4-7', 5000, 25000],
];

export class CreateOracleRates1764000005000 implements MigrationInterface {
  name = 'CreateOracleRates1764000005000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE credit.oracle_rate_config (
        id                       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        model                    text NOT NULL,
        token_kind               text NOT NULL CHECK (token_kind IN ('input', 'output', 'cacheRead', 'cacheWrite')),
        credits_per_million_num  bigint NOT NULL CHECK (credits_per_million_num > 0),
        credits_per_million_den  bigint NOT NULL DEFAULT 1 CHECK (credits_per_million_den > 0),
        effective_from           timestamptz NOT NULL,
        created_at               timestamptz NOT NULL
      )`);
    await q.query('CREATE INDEX oracle_rate_lookup_idx ON credit.oracle_rate_config (model, token_kind, effective_from DESC, id DESC)');
    const epoch = new Date(0);
    for (const [model, input, output] of SEED_RATES) {
      const rows: Array<[string, number, number]> = [
        ['input', input, 1],
        ['output', output, 1],
        ['cacheWrite', input * 5, 4],
        ['cacheRead', input, 10],
      ];
      for (const [kind, num, den] of rows) {
        await q.query(
          `INSERT INTO credit.oracle_rate_config (model, token_kind, credits_per_million_num, credits_per_million_den, effective_from, created_at)
           VALUES ($1, $2, $3, $4, $5, $5)`,
          [model, kind, num, den, epoch],
        );
      }
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE credit.oracle_rate_config');
  }
}
