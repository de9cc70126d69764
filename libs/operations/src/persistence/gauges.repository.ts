import { Injectable } from '@nestjs/common';
import type { Tx } from '@loomworks/database';

/** Active holds of one asset. Amounts are decimal strings (bigint). */
export interface HoldsGauge {
  asset: string;
  active: number;
  heldCredits: string;
}

/**
 * The holds /metrics reports, from credit's own read (credit.active_holds_by_asset), one
 * statement per scrape that takes none of the money path's locks.
 */
@Injectable()
export class GaugesRepository {
  async activeHolds(tx: Tx): Promise<HoldsGauge[]> {
    const rows: { asset: string; active: number; held: string }[] = await tx.query(
      'SELECT asset, active, held::text AS held FROM credit.active_holds_by_asset()',
    );
    return rows.map((r) => ({ asset: r.asset, active: r.active, heldCredits: r.held }));
  }
}
