import { createHash } from 'node:crypto';
import { canonicalEmail, DomainError } from '@loomworks/common';

export const ACCOUNT_STATUSES = ['active', 'suspended', 'deleted'] as const;
export type AccountStatus = (typeof ACCOUNT_STATUSES)[number];
export const ROLES = ['member', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface Person {
  id: string;
  email: string;
  displayName: string;
  role: Role;
  accountStatus: AccountStatus;
  statusChangedAt: Date | null;
  previousStatus: AccountStatus | null;
  previousStatusChangedAt: Date | null;
  personalEngagementId: string;
  referredBy: string | null;
  createdAt: Date;
}

export type EngagementRole = 'owner' | 'member';

/** A person's place in an engagement: their role, and whether it is a personal one or a team's (with a pool). */
export interface Membership {
  role: EngagementRole;
  personal: boolean;
}

export const LIMIT_PERIODS = ['day', 'week', 'month'] as const;
export type LimitPeriod = (typeof LIMIT_PERIODS)[number];
/** A spend cap per UTC calendar period (DESIGN.md "Spend limits and team pools"), credits of any asset. */
export interface SpendLimit {
  amount: bigint;
  period: LimitPeriod;
}

/** A member of a team engagement with their limit within its pool. */
export interface Member {
  personId: string;
  email: string;
  displayName: string;
  role: EngagementRole;
  limit: SpendLimit | null;
}

/** A change to a member: `limit: null` removes it, absent keeps it. */
export interface MemberChange {
  role?: EngagementRole;
  limit?: SpendLimit | null;
}

export interface EngagementSummary {
  id: string;
  name: string;
  personal: boolean;
  role: EngagementRole;
}

/** active ⇄ suspended, active|suspended → deleted; deleted is terminal. */
const TRANSITIONS: Record<AccountStatus, readonly AccountStatus[]> = {
  active: ['suspended', 'deleted'],
  suspended: ['active', 'deleted'],
  deleted: [],
};

export function canTransition(from: AccountStatus, to: AccountStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/**
 * A deleted person's address: deterministic (the same email always anonymises to the same value,
 * so the registry's hash linkage holds) and undeliverable (.invalid is reserved, RFC 2606).
 */
export function anonymizedEmail(email: string): string {
  const hash = createHash('sha256').update(canonicalEmail(email)).digest('hex');
  return `deleted_${hash}@deleted.invalid`;
}

export class MemberNotFoundError extends DomainError {
  readonly code = 'member_not_found';
  constructor() {
    super('That person is not a member of this engagement');
  }
}

/** A team keeps at least one owner. */
export class LastOwnerError extends DomainError {
  readonly code = 'last_owner';
  constructor() {
    super('The last owner of a team can neither leave nor stop being an owner');
  }
}

export class PersonNotFoundError extends DomainError {
  readonly code = 'person_not_found';
  constructor(personId: string) {
    super('No such person', { personId });
  }
}

export class EngagementNotFoundError extends DomainError {
  readonly code = 'engagement_not_found';
  constructor(engagementId: string) {
    super('No such engagement', { engagementId });
  }
}

export class EmailTakenError extends DomainError {
  readonly code = 'email_taken';
  constructor() {
    super('An account with this email already exists');
  }
}

export class InvalidAccountTransitionError extends DomainError {
  readonly code = 'invalid_account_transition';
  constructor(
    readonly from: AccountStatus,
    readonly to: AccountStatus,
  ) {
    super(`An account cannot go from ${from} to ${to}`, { from, to });
  }
}
