import { DomainError } from '@loomworks/common';

/** What a reconciler check can find; each kind is a label of loomworks_reconciler_findings_total. */
export const FINDING_KINDS = [
  'balance_drift',
  'unbalanced_asset',
  'duplicate_idempotency_key',
  'held_mismatch',
  'unexplained_negative_balance',
  'expired_holds_released',
  'turn_without_consumption',
  'outbox_overdue',
  'seal_broken',
] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];

/** `detail` holds ids and amounts only (amounts as decimal strings: they are bigints). */
export interface Finding {
  kind: FindingKind;
  detail: Record<string, string | number | boolean | null>;
}

/**
 * A due outbox job nobody has taken for this long means no worker is draining the outbox (every
 * instance polls every OUTBOX_POLL_MS, a second by default; a claimed job is not due until its
 * lease ends, so slow work in progress does not count).
 */
export const OUTBOX_OVERDUE_AFTER_SECONDS = 300;

export type RunTrigger = 'schedule' | 'manual';

export interface ReconciliationRun {
  id: string;
  trigger: RunTrigger;
  startedAt: Date;
  finishedAt: Date;
  ok: boolean;
  findings: Finding[];
}

export class ReconciliationNotFoundError extends DomainError {
  readonly code = 'reconciliation_not_found';
  constructor() {
    super('The reconciler has not run yet');
  }
}
