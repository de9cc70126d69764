import { Inject, Injectable, Logger } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { CLOCK, Meters, type Clock } from '@loomworks/common';
import { Transactions } from '@loomworks/database';
import { GaugesRepository, type GaugeSnapshot } from './persistence/gauges.repository';

/**
 * Gauges of the deployment's state (holds, outbox), refreshed from one query just before each
 * scrape, so they are never stale and cost nothing between scrapes. Every instance reports the
 * same shared state: aggregate them with max(), not sum().
 */
@Injectable()
export class StateGauges {
  private readonly logger = new Logger(StateGauges.name);
  private readonly activeHolds: Gauge<'asset'>;
  private readonly heldCredits: Gauge<'asset'>;
  private readonly outboxPending: Gauge<'kind'>;
  private readonly outboxOldest: Gauge<'kind'>;
  private readonly outboxOverdue: Gauge<'kind'>;
  /** labels seen before keep reporting 0 when their rows are gone, instead of vanishing */
  private readonly assets = new Set<string>();
  private readonly kinds = new Set<string>();

  constructor(
    meters: Meters,
    private readonly repository: GaugesRepository,
    private readonly transactions: Transactions,
    @Inject(CLOCK) private readonly clock: Clock,
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
    let snapshot: GaugeSnapshot;
    try {
      snapshot = await this.repository.snapshot(this.transactions.manager, this.clock.now());
    } catch (error) {
      for (const gauge of [this.activeHolds, this.heldCredits, this.outboxPending, this.outboxOldest, this.outboxOverdue]) gauge.reset();
      this.logger.warn(`state gauges not read: ${error instanceof Error ? error.name : 'unknown error'}`);
      return;
    }
    for (const h of snapshot.holds) this.assets.add(h.asset);
    for (const o of snapshot.outbox) this.kinds.add(o.kind);
    for (const asset of this.assets) {
      const h = snapshot.holds.find((x) => x.asset === asset);
      this.activeHolds.set({ asset }, h?.active ?? 0);
      // A gauge is a float: exact up to 2^53 credits, which no held total approaches.
      this.heldCredits.set({ asset }, Number(h?.heldCredits ?? 0));
    }
    for (const kind of this.kinds) {
      const o = snapshot.outbox.find((x) => x.kind === kind);
      this.outboxPending.set({ kind }, o?.pending ?? 0);
      this.outboxOldest.set({ kind }, o?.oldestAgeSeconds ?? 0);
      this.outboxOverdue.set({ kind }, o?.overdueSeconds ?? 0);
    }
  }
}
