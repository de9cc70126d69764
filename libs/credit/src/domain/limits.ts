/** Spend limits (DESIGN.md "Spend limits and team pools"): the plain shapes the CreditSeam speaks. */
import type { LimitPeriod, SpendLimit } from '@loomworks/persons';

export type { LimitPeriod, SpendLimit };

/** A scope whose spend is counted per period (credit.spend_scopes). */
export type SpendScope =
  | { kind: 'person'; personId: string }
  | { kind: 'member'; engagementId: string; personId: string }
  | { kind: 'apiKey'; apiKeyId: string };

/** A person's limits on their own credit: staff's and their own (per period, the lower applies). */
export interface PersonLimits {
  staffLimit: SpendLimit | null;
  selfLimit: SpendLimit | null;
}

/** The counter key of a scope (credit.spend_scopes writes the same). */
export function scopeKey(scope: SpendScope): string {
  switch (scope.kind) {
    case 'person':
      return `person:${scope.personId}`;
    case 'member':
      return `member:${scope.engagementId}:${scope.personId}`;
    case 'apiKey':
      return `key:${scope.apiKeyId}`;
  }
}
