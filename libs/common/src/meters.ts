import { Global, Injectable, Module } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/**
 * The application's Prometheus instruments, one registry per app instance (so test apps in one
 * process don't share counts). They live here, below every feature module, so the modules that
 * see an event count it (orchestration counts turns) while `operations` serves them at /metrics
 * and adds the gauges it reads from the database at scrape time.
 */
@Injectable()
export class Meters {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time from request to response, by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });

  readonly turns = new Counter({
    name: 'loomworks_turns_total',
    help: 'Conversation turns answered, by LLM key source and status',
    labelNames: ['key_source', 'status'] as const,
    registers: [this.registry],
  });

  readonly creditsCharged = new Counter({
    name: 'loomworks_credits_charged_total',
    help: 'Credits charged for turns (committed), by asset',
    labelNames: ['asset'] as const,
    registers: [this.registry],
  });

  readonly outboxJobs = new Counter({
    name: 'loomworks_outbox_jobs_total',
    help: 'Outbox job attempts (mail, event fan-out, webhook delivery), by kind and result (sent, retried, failed = given up)',
    labelNames: ['kind', 'result'] as const,
    registers: [this.registry],
  });

  readonly reconcilerRuns = new Counter({
    name: 'loomworks_reconciler_runs_total',
    help: 'Reconciler runs, by result (ok or findings)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  readonly reconcilerFindings = new Counter({
    name: 'loomworks_reconciler_findings_total',
    help: 'Reconciler findings, by kind',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'loomworks_' });
  }
}

/** Binds one Meters per application. */
@Global()
@Module({ providers: [Meters], exports: [Meters] })
export class MetersModule {}
