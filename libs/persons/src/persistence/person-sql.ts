import type { AccountStatus, Person, Role } from '../domain/person';

/**
 * The person's columns for a caller's own SQL that reads a person beside its own rows in one
 * statement (the session guard: session and person in one query). Columns are prefixed
 * `person_`; personFromRow maps them back. The LLM key is never among them.
 */
export function personColumns(alias: string): string {
  return [
    'id',
    'email',
    'display_name',
    'role',
    'account_status',
    'status_changed_at',
    'previous_status',
    'previous_status_changed_at',
    'personal_engagement_id',
    'referred_by',
    'created_at',
  ]
    .map((c) => `${alias}.${c} AS person_${c}`)
    .join(', ');
}

export interface PersonSqlRow {
  person_id: string;
  person_email: string;
  person_display_name: string;
  person_role: Role;
  person_account_status: AccountStatus;
  person_status_changed_at: Date | null;
  person_previous_status: AccountStatus | null;
  person_previous_status_changed_at: Date | null;
  person_personal_engagement_id: string;
  person_referred_by: string | null;
  person_created_at: Date;
}

export function personFromRow(r: PersonSqlRow): Person {
  return {
    id: r.person_id,
    email: r.person_email,
    displayName: r.person_display_name,
    role: r.person_role,
    accountStatus: r.person_account_status,
    statusChangedAt: r.person_status_changed_at,
    previousStatus: r.person_previous_status,
    previousStatusChangedAt: r.person_previous_status_changed_at,
    personalEngagementId: r.person_personal_engagement_id,
    referredBy: r.person_referred_by,
    createdAt: r.person_created_at,
  };
}
