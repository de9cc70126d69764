import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Spend limits (DESIGN.md "Spend limits and team pools").
 *
 * - `credit.spend_counters`: what a scope spent in a UTC calendar period (day, ISO week from
 *   Monday, month), maintained by the settle statement through credit.count_spend (captures add,
 *   refunds subtract); a limit check reads one row, never the history. Scopes: `person:<id>` (a
 *   person's own credit), `member:<engagement>:<person>` (a member within a team pool),
 *   `key:<apiKeyId>`. A charge counts in the periods its hold was placed in.
 * - `credit.spend_alerts`: a `budget.threshold` fired for (scope, period start, threshold), so it
 *   fires once per scope, period and threshold.
 * - limits: staff's and the person's own on `persons`, a member's in its pool on
 *   `engagement_members` (an API key's are on `api_keys` already).
 * - `credit.holds.api_key_id`: the key a request's hold was placed for (its limit's scope).
 */
const LIMIT = (prefix: string) => `
  ADD COLUMN ${prefix}_amount bigint CHECK (${prefix}_amount BETWEEN 1 AND 9007199254740991),
  ADD COLUMN ${prefix}_period text CHECK (${prefix}_period IN ('day', 'week', 'month')),
  ADD CONSTRAINT ${prefix}_complete CHECK ((${prefix}_amount IS NULL) = (${prefix}_period IS NULL))`;

export class SpendLimits1764740000000 implements MigrationInterface {
  name = 'SpendLimits1764740000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE credit.spend_counters (
        scope        text NOT NULL,
        period       text NOT NULL CHECK (period IN ('day', 'week', 'month')),
        period_start date NOT NULL,
        amount       bigint NOT NULL,
        PRIMARY KEY (scope, period, period_start)
      )`);
    await q.query(`
      CREATE TABLE credit.spend_alerts (
        scope        text NOT NULL,
        period       text NOT NULL CHECK (period IN ('day', 'week', 'month')),
        period_start date NOT NULL,
        threshold    integer NOT NULL CHECK (threshold IN (80, 100)),
        fired_at     timestamptz NOT NULL,
        PRIMARY KEY (scope, period, period_start, threshold)
      )`);
    await q.query(`ALTER TABLE persons ${LIMIT('staff_limit')}, ${LIMIT('self_limit')}`);
    await q.query(`ALTER TABLE engagement_members ${LIMIT('limit')}`);
    await q.query('ALTER TABLE credit.holds ADD COLUMN api_key_id uuid');
    await q.query(`CREATE INDEX holds_api_key_active_idx ON credit.holds (api_key_id) WHERE status = 'active' AND api_key_id IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX credit.holds_api_key_active_idx');
    await q.query('ALTER TABLE credit.holds DROP COLUMN api_key_id');
    await q.query('ALTER TABLE engagement_members DROP COLUMN limit_amount, DROP COLUMN limit_period');
    await q.query('ALTER TABLE persons DROP COLUMN staff_limit_amount, DROP COLUMN staff_limit_period, DROP COLUMN self_limit_amount, DROP COLUMN self_limit_period');
    await q.query('DROP TABLE credit.spend_alerts');
    await q.query('DROP TABLE credit.spend_counters');
  }
}
