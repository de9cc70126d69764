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

  readonly httpRequests = this.counter('http_requests_total', 'HTTP requests answered, by method, route template and status', ['method', 'route', 'status']);

  /** Not by status (the counter has it): each label set of a histogram is a dozen series. */
  readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time from request to response, by method and route template',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.025, 0.1, 0.25, 1, 2.5, 10, 60],
    registers: [this.registry],
  });

  readonly turns = this.counter('loomworks_turns_total', 'Conversation turns answered, by LLM key source and status', ['key_source', 'status']);

  readonly creditsCharged = this.counter('loomworks_credits_charged_total', 'Credits charged for turns (committed), by asset', ['asset']);

  readonly llmCalls = this.counter('loomworks_llm_calls_total', 'Provider calls logged (converse stages, Messages API requests), by model and status (ok, failed, interrupted)', ['model', 'status']);

  readonly llmTokens = this.counter('loomworks_llm_tokens_total', 'Tokens the provider reported for logged calls, by model, call status and kind (input, output, cacheRead, cacheWrite)', ['model', 'status', 'kind']);

  readonly streamFirstByte = new Histogram({
    name: 'loomworks_stream_first_byte_seconds',
    help: "Time from a streamed request's arrival to its first byte of the provider's answer sent on, by source (converse, messages)",
    labelNames: ['source'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  readonly outboxJobs = this.counter('loomworks_outbox_jobs_total', 'Outbox job attempts (mail, event fan-out, webhook delivery), by kind and result (sent, retried, failed = given up)', ['kind', 'result']);

  readonly reconcilerRuns = this.counter('loomworks_reconciler_runs_total', 'Reconciler runs, by result (ok or findings)', ['result']);

  readonly scheduledRuns = this.counter('loomworks_scheduled_runs_total', 'Runs of the scheduled background jobs (reconciler, housekeeping, outbox polling …), by job and result (ok, failed)', ['job', 'result']);

  readonly reconcilerFindings = this.counter('loomworks_reconciler_findings_total', 'Reconciler findings, by kind', ['kind']);

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'loomworks_' });
  }

  /** A counter on this instance's registry, its label names typed for `inc`. */
  private counter<L extends string>(name: string, help: string, labelNames: readonly L[]): Counter<L> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }
}

/** Binds one Meters per application. */
@Global()
@Module({ providers: [Meters], exports: [Meters] })
export class MetersModule {}
