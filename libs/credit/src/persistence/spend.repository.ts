import { Injectable } from '@nestjs/common';
import type { Tx } from '@loomworks/database';
import type { LimitPeriod, PersonLimits, SpendLimit } from '../domain/limits';

const limitOf = (amount: string | null, period: LimitPeriod | null): SpendLimit | null => (amount === null ? null : { amount: BigInt(amount), period: period! });

/**
 * Limits on a person's own credit (persons.staff_limit_*, self_limit_*) and what scopes spent per
 * period (credit.spend_counters, maintained by the settle statement: sql/count_spend.sql).
 */
@Injectable()
export class SpendRepository {
  async personLimits(tx: Tx, personId: string): Promise<PersonLimits | null> {
    const [row]: { sa: string | null; sp: LimitPeriod | null; oa: string | null; op: LimitPeriod | null }[] = await tx.query(
      `SELECT staff_limit_amount::text AS sa, staff_limit_period AS sp, self_limit_amount::text AS oa, self_limit_period AS op
         FROM persons WHERE id = $1`,
      [personId],
    );
    return row ? { staffLimit: limitOf(row.sa, row.sp), selfLimit: limitOf(row.oa, row.op) } : null;
  }

  /** Sets (or with null removes) staff's or the person's own limit; false for an unknown person. */
  async setPersonLimit(tx: Tx, personId: string, setter: 'staff' | 'self', limit: SpendLimit | null): Promise<boolean> {
    const rows: unknown[] = await tx.query(
      setter === 'staff'
        ? 'WITH u AS (UPDATE persons SET staff_limit_amount = $2, staff_limit_period = $3 WHERE id = $1 RETURNING id) SELECT id FROM u'
        : 'WITH u AS (UPDATE persons SET self_limit_amount = $2, self_limit_period = $3 WHERE id = $1 RETURNING id) SELECT id FROM u',
      [personId, limit?.amount.toString() ?? null, limit?.period ?? null],
    );
    return rows.length === 1;
  }

  /** What each (scope, period) spent in the period containing `at`, in order (0 where nothing was counted). */
  async spent(tx: Tx, items: { scope: string; period: LimitPeriod }[], at: Date): Promise<bigint[]> {
    if (items.length === 0) return [];
    const rows: { amount: string }[] = await tx.query(
      `SELECT coalesce(c.amount, 0)::text AS amount
         FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS q (scope, period, n)
         LEFT JOIN credit.spend_counters c
           ON c.scope = q.scope AND c.period = q.period AND c.period_start = date_trunc(q.period, $3::timestamptz AT TIME ZONE 'UTC')::date
        ORDER BY q.n`,
      [items.map((i) => i.scope), items.map((i) => i.period), at],
    );
    return rows.map((r) => BigInt(r.amount));
  }
}
