import { Injectable, Logger } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { Meters } from '@loomworks/common';
import { ReadReplica } from '@loomworks/database';
import { EVENT_JOB_KIND, MAIL_JOB_KIND, OutboxQueue, WEBHOOK_JOB_KIND, type KindBacklog } from '@loomworks/outbox';
import { SystemConfigService } from '@loomworks/system-config';
import { GaugesRepository, type HoldsGauge } from './persistence/gauges.repository';

const OUTBOX_KINDS = [MAIL_JOB_KIND, EVENT_JOB_KIND, WEBHOOK_JOB_KIND];

/**
 * Gauges of the deployment's state (holds, outbox), refreshed just before each scrape, so they are
 * never stale and cost nothing between scrapes. Idle ones report 0, never nothing: every credit
 * asset (credit_tier_priority) and every outbox job kind has its sample from the first scrape, so
 * an alert or a graph sees the first hold or job. Every instance reports the same shared state:
 * aggregate them with max(), not sum().
 */
@Injectable()
export class StateGauges {
  private readonly logger = new Logger(StateGauges.name);
  private readonly activeHolds: Gauge<'asset'>;
  private readonly heldCredits: Gauge<'asset'>;
  private readonly outboxPending: Gauge<'kind'>;
  private readonly outboxOldest: Gauge<'kind'>;
  private readonly outboxOverdue: Gauge<'kind'>;
  /** assets seen in holds that are no longer configured keep reporting (0 once their holds end) */
  private readonly assetsSeen = new Set<string>();

  constructor(
    meters: Meters,
    private readonly repository: GaugesRepository,
    private readonly outbox: OutboxQueue,
    private readonly settings: SystemConfigService,
    private readonly replica: ReadReplica,
  ) {
    const registers = [meters.registry];
    this.activeHolds = new Gauge({ name: 'loomworks_holds_active', help: 'Active holds (turns in flight on the system key), by asset', labelNames: ['asset'], registers });
    this.heldCredits = new Gauge({ name: 'loomworks_credits_held', help: 'Credits reserved by active holds, by asset', labelNames: ['asset'], registers });
    this.outboxPending = new Gauge({ name: 'loomworks_outbox_jobs_pending', help: 'Outbox jobs not yet sent or given up, by kind', labelNames: ['kind'], registers });
    this.outboxOldest = new Gauge({
      name: 'loomworks_outbox_oldest_pending_age_seconds',
      help: 'Age of the oldest pending outbox job (it may be waiting for a scheduled retry), by kind',
      labelNames: ['kind'],
      registers,
    });
    this.outboxOverdue = new Gauge({
      name: 'loomworks_outbox_overdue_seconds',
      help: 'How long the most overdue outbox job has been due with no worker taking it (0 while workers keep up), by kind',
      labelNames: ['kind'],
      registers,
    });
  }

  /**
   * When the database can't answer, the scrape still serves this instance's own metrics (the pool
   * gauge then shows requests waiting) and leaves the state gauges out rather than stale.
   */
  async refresh(): Promise<void> {
    let holds: HoldsGauge[];
    let backlog: KindBacklog[];
    let assets: string[];
    try {
      [holds, backlog, { values: [assets] }] = await Promise.all([
        // Gauges are lag-tolerant: from the read replica when one is configured (DESIGN.md "Scaling and failover").
        this.repository.activeHolds(this.replica.readOnly()),
        this.outbox.backlogByKind(),
        this.settings.cached(['credit_tier_priority'] as const),
      ]);
    } catch (error) {
      for (const gauge of [this.activeHolds, this.heldCredits, this.outboxPending, this.outboxOldest, this.outboxOverdue]) gauge.reset();
      this.logger.warn(`state gauges not read: ${error instanceof Error ? error.name : 'unknown error'}`);
      return;
    }
    for (const h of holds) this.assetsSeen.add(h.asset);
    for (const asset of new Set([...assets, ...this.assetsSeen])) {
      const h = holds.find((x) => x.asset === asset);
      this.activeHolds.set({ asset }, h?.active ?? 0);
      // A gauge is a float: exact up to 2^53 credits, which no held total approaches.
      this.heldCredits.set({ asset }, Number(h?.heldCredits ?? 0));
    }
    // Job kinds are the code's own (a kind without a handler is never enqueued).
    for (const kind of new Set([...OUTBOX_KINDS, ...backlog.map((b) => b.kind)])) {
      const b = backlog.find((x) => x.kind === kind);
      this.outboxPending.set({ kind }, b?.pending ?? 0);
      this.outboxOldest.set({ kind }, b?.oldestAgeSeconds ?? 0);
      this.outboxOverdue.set({ kind }, b?.overdueSeconds ?? 0);
    }
  }
}
