/** The business events of DESIGN.md "Events and webhooks"; webhook endpoints subscribe to these. */
export const EVENT_TYPES = [
  'grant.issued',
  'grant.claimed',
  'grant.revoked',
  'credit.low',
  'credit.exhausted',
  'account.suspended',
  'account.reactivated',
  'account.deleted',
  'hold.exceeded',
  'llm.usage_unreported',
  'ledger.drift',
  'budget.threshold',
  'pool.low',
  'authorization.expired',
  'credit.refunded',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** The job kind that hands a recorded event to the webhook endpoints subscribed to its type. */
export const EVENT_JOB_KIND = 'event';
