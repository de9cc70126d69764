import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { CLOCK, Meters, type Clock } from '@loomworks/common';
import { HoldsService, LedgerService } from '@loomworks/credit/staff';
import { Transactions } from '@loomworks/database';
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

/** The schedule looks at least this often whether a run is due (the interval may change at any time). */
const MAX_TICK_MS = 60_000;

/**
 * Checks the ledger and what depends on it, every `reconcile_interval_seconds` and on demand.
 * Runs take a Postgres advisory lock, so with N instances one runs at a time; a scheduled run
 * also skips when another instance ran within the interval, so the schedule holds for the whole
 * deployment, not per instance. Each run is stored; each finding raises a `ledger.drift` event
 * (in the run's transaction), is logged as an error and counted in
 * loomworks_reconciler_findings_total.
 */
@Injectable()
export class ReconcilerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private ticking?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly transactions: Transactions,
    private readonly ledger: LedgerService,
    private readonly holds: HoldsService,
    private readonly outbox: Outbox,
    private readonly outboxQueue: OutboxQueue,
    private readonly settings: SystemConfigService,
    private readonly runs: ReconciliationRepository,
    private readonly meters: Meters,
    @Inject(CLOCK) private readonly clock: Clock,
    @InjectPinoLogger('reconciler') private readonly logger: PinoLogger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // Every kind is reported from the start (as 0), so an alert on its increase sees the first one.
    for (const kind of FINDING_KINDS) this.meters.reconcilerFindings.inc({ kind }, 0);
    this.arm(await this.tickMs());
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.ticking;
  }

  /** The latest run, whoever started it. */
  async latest(): Promise<ReconciliationRun> {
    const run = await this.runs.latest(this.transactions.manager);
    if (!run) throw new ReconciliationNotFoundError();
    return run;
  }

  /** A run now; waits for a run in progress elsewhere to finish first. */
  async runNow(): Promise<ReconciliationRun> {
    return (await this.withLock('manual', () => this.reconcile('manual')))!;
  }

  /** A scheduled run, unless another instance holds the lock or ran within the interval. */
  async runIfDue(): Promise<ReconciliationRun | null> {
    return this.withLock('schedule', async () => ((await this.isDue()) ? this.reconcile('schedule') : null));
  }

  private async reconcile(trigger: RunTrigger): Promise<ReconciliationRun> {
    const startedAt = this.clock.now();
    // Expired holds first, so the ledger checks see them released.
    const findings = [
      ...(await this.expiredHoldFindings()),
      ...(await this.ledgerFindings()),
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

  private async ledgerFindings(): Promise<Finding[]> {
    await this.ledger.checkpoint();
    const report = await this.ledger.verify();
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

  private async isDue(): Promise<boolean> {
    const [interval, latest] = [await this.settings.require('reconcile_interval_seconds'), await this.runs.latest(this.transactions.manager)];
    return !latest || this.clock.now().getTime() - latest.startedAt.getTime() >= interval * 1000;
  }

  /** A scheduled run gives up when another instance holds the run lock; a manual one waits for it. */
  private withLock<T>(trigger: RunTrigger, work: () => Promise<T>): Promise<T | null> {
    return this.runs.withRunLock(trigger === 'manual', work);
  }

  private async tickMs(): Promise<number> {
    const interval = await this.settings.require('reconcile_interval_seconds');
    return Math.min(Math.max(interval * 1000, 1000), MAX_TICK_MS);
  }

  private arm(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.ticking = this.tick();
    }, delayMs);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    let next = MAX_TICK_MS;
    try {
      await this.runIfDue();
      next = await this.tickMs();
    } catch (error) {
      if (!this.stopped) this.logger.error({ err: error }, 'scheduled reconciliation failed');
    }
    this.arm(next);
  }
}
