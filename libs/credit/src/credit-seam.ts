import type { Readable } from 'node:stream';
import type { PageRequest } from '@loomworks/common';
import type { Tx } from '@loomworks/database';
import type { Person } from '@loomworks/persons';
// Plain types only (domain/): a caller of the seam never loads credit's implementation.
import type { Authorization, AuthorizeCommand } from './domain/authorizations';
import type { ClaimGrantCommand, ClaimResult, EligibilityResult, Grant, IssueGrantCommand, IssuedGrant } from './domain/grant';
import type {
  CreditSummary,
  PlaceHoldCommand,
  PlaceHoldResult,
  SettleHoldCommand,
  SettlementResult,
} from './domain/holds';
import type { Flow, Page, PersonFlow, ReferralCommand } from './domain/ledger';
import type { Balance, TierResolution } from './domain/tiers';
import type { LimitPeriod, PersonLimits, SpendLimit, SpendScope } from './domain/limits';

/** Injection token of the CreditSeam; tests swap it with `overrideProvider(CREDIT_SEAM)`. */
export const CREDIT_SEAM = Symbol('CREDIT_SEAM');

/**
 * What the rest of the system may ask of credit. Plain data in and out, so an out-of-process
 * binding (an HTTP client to a credit service) can replace the in-process one without touching
 * callers. The optional `tx` joins the caller's transaction where atomicity with it is required
 * (claim at signup, settling a hold with the turn, delete with ending sessions); without it each call
 * runs in its own transaction.
 */
export interface CreditSeam {
  checkEligibility(email: string): Promise<EligibilityResult>;
  issueGrant(command: IssueGrantCommand): Promise<IssuedGrant>;
  /** the claimable grant behind a token, not claimed (the claim page) */
  previewGrant(claimToken: string): Promise<Grant>;
  claimGrant(command: ClaimGrantCommand, tx?: Tx): Promise<ClaimResult>;
  resolveCredit(personId: string, tx?: Tx): Promise<TierResolution | null>;
  balances(personId: string): Promise<Balance[]>;
  /** Spendable and held credit per asset, the active holds and the tier (the credit views). */
  creditSummary(personId: string): Promise<CreditSummary>;
  /** A team pool's credit view: the same shape, for the engagement's party. */
  poolCreditSummary(engagementId: string): Promise<CreditSummary>;
  /** The person's ledger balances at a past instant (not in the future: ValidationFailedError). */
  balancesAsOf(personId: string, at: Date): Promise<Balance[]>;
  /** A team pool's ledger balances at a past instant. */
  poolBalancesAsOf(engagementId: string, at: Date): Promise<Balance[]>;
  /**
   * The person's own flows in a time range, oldest first, as the CSV records of /me/flows.csv
   * (MEMBER_FLOW_CSV_COLUMNS, no header), one a line, streamed once started; one export of the
   * person's at a time (ExportInProgressError, thrown before any row).
   */
  personFlowRows(personId: string, range: { from?: Date; to?: Date }): Promise<Readable>;
  /** The person's ledger flows, newest first, a page at a time (`cursor` from the previous page). */
  personFlows(personId: string, page?: PageRequest): Promise<Page<PersonFlow>>;
  /**
   * Before a system-key turn's LLM calls: gate on the account, pick the tier, reserve a proven
   * upper bound of the turn's cost (lowering the respond stage's max_tokens to what the credit
   * covers). Throws TurnsInFlightError at max_turns_in_flight.
   */
  placeHold(command: PlaceHoldCommand): Promise<PlaceHoldResult>;
  /** Release the hold and charge the turn's stages, in the caller's transaction (the one recording the turns). */
  settleHold(command: SettleHoldCommand, tx?: Tx): Promise<SettlementResult>;
  /** A person's limits on their own credit (staff's and their own); PersonNotFoundError for an unknown person. */
  personLimits(personId: string): Promise<PersonLimits>;
  /** Sets (null: removes) staff's or the person's own limit, in the caller's transaction when given; answers both. */
  setPersonLimit(personId: string, setter: 'staff' | 'self', limit: SpendLimit | null, tx?: Tx): Promise<PersonLimits>;
  /** What each scope spent (settled charges minus refunds) in the current period of the given kind, in order. */
  spentThisPeriod(items: { scope: SpendScope; period: LimitPeriod }[]): Promise<bigint[]>;
  /**
   * Returns an unsettled hold's credit now (the turn's LLM call failed); in the caller's
   * transaction when given (the one logging the failed call), so the two land together.
   */
  releaseHold(holdId: string, tx?: Tx): Promise<void>;
  suspendAccount(personId: string, tx?: Tx): Promise<Person>;
  reactivateAccount(personId: string, tx?: Tx): Promise<Person>;
  deleteAccount(personId: string, tx?: Tx): Promise<Person>;
  writeReferralCredit(command: ReferralCommand, tx?: Tx): Promise<{ flow: Flow; created: boolean }>;
  /**
   * Another service's hold on a person's or a pool's credit (DESIGN.md "Authorizations and
   * refunds"): account status and limits apply as for a turn. Throws the refusal (credit_exhausted,
   * account_suspended …); `tx` joins the caller's transaction (its Idempotency-Key record).
   */
  authorize(command: AuthorizeCommand, tx?: Tx): Promise<Authorization>;
  /** Charges up to the authorized amount; the rest goes back to the payer. */
  captureAuthorization(id: string, amount: bigint, tx?: Tx): Promise<Authorization>;
  /** Returns the whole authorized amount to the payer. */
  voidAuthorization(id: string, tx?: Tx): Promise<Authorization>;
  getAuthorization(id: string): Promise<Authorization>;
}
