import { Injectable } from '@nestjs/common';
import type { Tx } from '@loomworks/database';

/** What /metrics reports about the database's current state. Amounts are decimal strings (bigint). */
export interface GaugeSnapshot {
  holds: { asset: string; active: number; heldCredits: string }[];
  outbox: { kind: string; pending: number; oldestAgeSeconds: number; overdueSeconds: number }[];
}

interface Row {
  source: 'holds' | 'outbox';
  label: string;
  n: number;
  amount: string | null;
  oldest_age: number | null;
  overdue: number | null;
}

/**
 * One read-only statement per scrape. It reads the holds and outbox tables directly, like the
 * reconciler's audit queries, so monitoring costs one round trip and never goes through (or takes
 * the locks of) the paths it watches. Both scans use partial indexes on the active/pending rows.
 */
@Injectable()
export class GaugesRepository {
  async snapshot(tx: Tx, now: Date): Promise<GaugeSnapshot> {
    const rows: Row[] = await tx.query(
      `SELECT 'holds' AS source, asset AS label, count(*)::int AS n, sum(amount)::text AS amount, NULL::float8 AS oldest_age, NULL::float8 AS overdue
         FROM credit.holds WHERE status = 'active' GROUP BY asset
       UNION ALL
       SELECT 'outbox', kind, count(*)::int, NULL,
              extract(epoch FROM $1::timestamptz - min(created_at))::float8,
              coalesce(extract(epoch FROM $1::timestamptz - min(run_at) FILTER (WHERE run_at <= $1)), 0)::float8
         FROM outbox_jobs WHERE status = 'pending' GROUP BY kind`,
      [now],
    );
    const seconds = (s: number | null) => Math.max(0, Math.floor(s ?? 0));
    return {
      holds: rows.filter((r) => r.source === 'holds').map((r) => ({ asset: r.label, active: r.n, heldCredits: r.amount ?? '0' })),
      outbox: rows
        .filter((r) => r.source === 'outbox')
        .map((r) => ({ kind: r.label, pending: r.n, oldestAgeSeconds: seconds(r.oldest_age), overdueSeconds: seconds(r.overdue) })),
    };
  }
}
