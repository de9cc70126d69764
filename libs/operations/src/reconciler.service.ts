import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { CLOCK, Meters, type Clock } from '@loomworks/common';
import { HoldsService, LedgerService, SealerService, type BrokenSeal } from '@loomworks/credit/staff';
import { Scheduler, Transactions } from '@loomworks/database';
import { Outbox, OutboxQueue } from '@loomworks/outbox';
import { SystemConfigService } from '@loomworks/system-config';
import {
  FINDING_KINDS,
  OUTBOX_OVERDUE_AFTER_SECONDS,
  ReconciliationNotFoundError,
  type Finding,
  type ReconciliationRun,
  type RunTrigger,
} from './domain/reconciliation';
import { FINDINGS_PER_CHECK, ReconciliationRepository } from './persistence/reconciliation.repository';

/** The scheduled job's name; a run on demand is a run of this job too (one at a time). */
const JOB = 'reconciler';

/**
 * Checks the ledger and what depends on it: the scheduled job `reconciler`, every
 * `reconcile_interval_seconds` across the deployment, and on demand. Every run, scheduled or
 * not, holds the job's lease, so one runs at a time and an on-demand run also postpones the next
 * scheduled one. Each run is stored; each finding raises a `ledger.drift` event (in the run's
 * transaction), is logged as an error and counted in loomworks_reconciler_findings_total.
 */
@Injectable()
export class ReconcilerService implements OnModuleInit {
  constructor(
    private readonly transactions: Transactions,
    private readonly ledger: LedgerService,
    private readonly holds: HoldsService,
    private readonly sealer: SealerService,
    private readonly outbox: Outbox,
    private readonly outboxQueue: OutboxQueue,
    private readonly settings: SystemConfigService,
    private readonly runs: ReconciliationRepository,
    private readonly meters: Meters,
    private readonly scheduler: Scheduler,
    @Inject(CLOCK) private readonly clock: Clock,
    @InjectPinoLogger('reconciler') private readonly logger: PinoLogger,
  ) {}

  onModuleInit(): void {
    // Every kind is reported from the start (as 0), so an alert on its increase sees the first one.
    for (const kind of FINDING_KINDS) this.meters.reconcilerFindings.inc({ kind }, 0);
    this.scheduler.every(JOB, async () => (await this.settings.require('reconcile_interval_seconds')) * 1000, () => this.reconcile('schedule'));
  }

  /** The latest run, whoever started it. */
  async latest(): Promise<ReconciliationRun> {
    const run = await this.runs.latest(this.transactions.manager);
    if (!run) throw new ReconciliationNotFoundError();
    return run;
  }

  /** A run now; waits for a run in progress anywhere to finish first. `full`: every balance and seal recomputed from the flows. */
  runNow(options: { full?: boolean } = {}): Promise<ReconciliationRun> {
    return this.scheduler.exclusive(JOB, () => this.reconcile('manual', options.full === true));
  }

  private async reconcile(trigger: RunTrigger, full = false): Promise<ReconciliationRun> {
    const startedAt = this.clock.now();
    // Expired holds first, so the ledger checks see them released.
    const findings = [
      ...(await this.expiredHoldFindings()),
      ...(await this.ledgerFindings(full)),
      ...(await this.turnFindings()),
      ...(await this.outboxFindings()),
    ];
    const run: ReconciliationRun = { id: randomUUID(), trigger, startedAt, finishedAt: this.clock.now(), ok: findings.length === 0, findings };
    await this.transactions.run(async (tx) => {
      await this.runs.insert(tx, run);
      for (const finding of findings) {
        await this.outbox.recordEvent(tx, { type: 'ledger.drift', data: { runId: run.id, kind: finding.kind, detail: finding.detail } });
      }
    });
    this.meters.reconcilerRuns.inc({ result: run.ok ? 'ok' : 'findings' });
    for (const finding of findings) {
      this.meters.reconcilerFindings.inc({ kind: finding.kind });
      this.logger.error({ runId: run.id, finding }, `reconciler finding: ${finding.kind}`);
    }
    return run;
  }

  /**
   * Holds whose turn never settled (its server died) are released here; each run that had to is
   * a finding, since it means turns were lost mid-flight.
   */
  private async expiredHoldFindings(): Promise<Finding[]> {
    const released = await this.holds.sweepExpired();
    return released > 0 ? [{ kind: 'expired_holds_released', detail: { released } }] : [];
  }

  /**
   * The ledger invariants. Seals: those written since the last run plus a rotating slice of
   * older ones (the whole chain at least daily), or all of them in a full run.
   */
  private async ledgerFindings(full: boolean): Promise<Finding[]> {
    await this.ledger.checkpoint();
    const report = await this.ledger.verify({ full });
    const recent = full ? [] : await this.sealer.checkRecent(await this.settings.require('reconcile_interval_seconds'));
    const sealBroken = new Map<string, BrokenSeal>([...report.sealBroken, ...recent].map((s) => [s.sealId, s]));
    const findings: Finding[][] = [
      report.drift.map((d) => ({
        kind: 'balance_drift',
        detail: { party: d.party, asset: d.asset, balance: d.balance.toString(), sumOfFlows: d.sumOfFlows.toString() },
      })),
      report.unbalancedAssets.map((u) => ({ kind: 'unbalanced_asset', detail: { asset: u.asset, sum: u.sum.toString() } })),
      report.duplicateIdempotencyKeys.map((key) => ({ kind: 'duplicate_idempotency_key', detail: { idempotencyKey: key } })),
      report.heldMismatch.map((h) => ({
        kind: 'held_mismatch',
        detail: { asset: h.asset, held: h.held.toString(), activeHolds: h.activeHolds.toString() },
      })),
      report.unexplainedNegativeBalances.map((n) => ({
        kind: 'unexplained_negative_balance',
        detail: { personId: n.personId, asset: n.asset, balance: n.balance.toString() },
      })),
      [...sealBroken.values()].map((b) => ({ kind: 'seal_broken', detail: { sealId: b.sealId, fromFlowId: b.fromFlowId, toFlowId: b.toFlowId } })),
    ];
    return findings.flatMap((list) => list.slice(0, FINDINGS_PER_CHECK));
  }

  private async turnFindings(): Promise<Finding[]> {
    const turns = await this.runs.turnsWithoutConsumption(this.transactions.manager);
    return turns.map((t) => ({ kind: 'turn_without_consumption', detail: { turnId: t.turnId, personId: t.personId } }));
  }

  private async outboxFindings(): Promise<Finding[]> {
    const backlog = await this.outboxQueue.backlog();
    if (backlog.overdueSeconds < OUTBOX_OVERDUE_AFTER_SECONDS) return [];
    return [{ kind: 'outbox_overdue', detail: { ...backlog } }];
  }
}
