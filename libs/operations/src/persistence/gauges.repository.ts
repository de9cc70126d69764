import { Injectable } from '@nestjs/common';
import type { Tx } from '@loomworks/database';

/** Active holds of one asset. Amounts are decimal strings (bigint). */
export interface HoldsGauge {
  asset: string;
  active: number;
  heldCredits: string;
}

/**
 * The holds /metrics reports, in one read-only statement per scrape (a partial index on active
 * holds keeps it cheap); it never goes through, or takes the locks of, the money path it watches.
 */
@Injectable()
export class GaugesRepository {
  async activeHolds(tx: Tx): Promise<HoldsGauge[]> {
    const rows: { asset: string; n: number; amount: string }[] = await tx.query(
      `SELECT asset, count(*)::int AS n, sum(amount)::text AS amount FROM credit.holds WHERE status = 'active' GROUP BY asset`,
    );
    return rows.map((r) => ({ asset: r.asset, active: r.n, heldCredits: r.amount }));
  }
}
