import { Injectable } from '@nestjs/common';
import type { Tx } from '@loomworks/database';
import type { Finding, ReconciliationRun, RunTrigger } from '../domain/reconciliation';

interface RunRow {
  id: string;
  trigger: RunTrigger;
  started_at: Date;
  finished_at: Date;
  ok: boolean;
  findings: Finding[];
}

const toRun = (row: RunRow): ReconciliationRun => ({
  id: row.id,
  trigger: row.trigger,
  startedAt: row.started_at,
  finishedAt: row.finished_at,
  ok: row.ok,
  findings: row.findings,
});

/** At most this many findings of one check are stored per run; the metric still counts them all. */
export const FINDINGS_PER_CHECK = 100;

@Injectable()
export class ReconciliationRepository {
  async insert(tx: Tx, run: ReconciliationRun): Promise<void> {
    await tx.query(
      'INSERT INTO reconciliation_runs (id, trigger, started_at, finished_at, ok, findings) VALUES ($1, $2, $3, $4, $5, $6)',
      [run.id, run.trigger, run.startedAt, run.finishedAt, run.ok, JSON.stringify(run.findings)],
    );
  }

  async latest(tx: Tx): Promise<ReconciliationRun | null> {
    const rows: RunRow[] = await tx.query('SELECT * FROM reconciliation_runs ORDER BY started_at DESC, id LIMIT 1');
    return rows[0] ? toRun(rows[0]) : null;
  }

  /**
   * System-key assistant turns with no consumption flow. Every such turn is charged in the
   * transaction that records it (each stage's flow has the key `turn:<id>:<stage>`, and any
   * usage costs at least one credit), so a turn without one means charges were lost. Each
   * module answers for its own tables in SQL: the turns are orchestration's read
   * (system_key_assistant_turns), whether one was charged is credit's (credit.turn_charged). Both
   * are plain reads, not the code paths the audit checks.
   */
  async turnsWithoutConsumption(tx: Tx): Promise<{ turnId: string; personId: string }[]> {
    const rows: { turn_id: string; person_id: string }[] = await tx.query(
      `SELECT t.turn_id, t.person_id
         FROM system_key_assistant_turns() t
        WHERE NOT credit.turn_charged(p_turn => t.turn_id)
        ORDER BY t.created_at, t.turn_id
        LIMIT $1`,
      [FINDINGS_PER_CHECK],
    );
    return rows.map((r) => ({ turnId: r.turn_id, personId: r.person_id }));
  }
}
