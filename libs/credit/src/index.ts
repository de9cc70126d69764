// The seam surface of credit: CreditModule (binds CREDIT_SEAM), the seam's plain types, errors,
// pure domain functions and views. The services live behind `@loomworks/credit/staff`.
export { CreditModule } from './credit.module';
export { CREDIT_FUNCTIONS_DIR } from './persistence/sql';
export { CREDIT_SEAM, type CreditSeam } from './credit-seam';
export {
  HOLD_STATUSES,
  type Hold,
  type HoldStatus,
  type StageBound,
  type PlaceHoldCommand,
  type PlaceHoldResult,
  type SettleHoldCommand,
  type SettleStage,
  type SettlementResult,
  type CreditSummary,
} from './domain/holds';
export * from './domain/errors';
export { AUTHORIZATION_STATUSES, authorizationStatusAt, type Authorization, type AuthorizationStatus, type AuthorizeCommand } from './domain/authorizations';
export { scopeKey, type LimitPeriod, type PersonLimits, type SpendLimit, type SpendScope } from './domain/limits';
export { LimitDto, LimitSchema, limitOf, limitView, shownPeriod, MemberViewSchema, memberViews } from './limit-views';
export { emailHashes, normalizedMailbox, type EmailHashes } from './domain/email';
export {
  GRANT_KINDS,
  GRANT_STATUSES,
  type Eligibility,
  type EligibilityResult,
  type IssueGrantCommand,
  type IssuedGrant,
  type ClaimGrantCommand,
  type ClaimResult,
  type Grant,
  type GrantKind,
  type GrantStatus,
} from './domain/grant';
export {
  FLOW_KINDS,
  SYSTEM_CONSUMED,
  SYSTEM_ISSUER,
  SYSTEM_VOID,
  personParty,
  asPartyFlow,
  asPersonFlow,
  type Flow,
  type FlowKind,
  type PersonFlow,
  type Page,
  type LedgerVerification,
  type LedgerDrift,
  type ReferralCommand,
} from './domain/ledger';
export { TOKEN_KINDS, type TokenKind, type Rate, type RateRow } from './domain/oracle';
export { chooseTier, type Balance, type TierResolution, type TierConfig } from './domain/tiers';
export { jsonAmount, balanceView, holdView, creditSummaryView, creditAsOfView, flowView, memberFlowView, grantView, ApiCreditOrAsOf, LEDGER_CSV_COLUMNS, MEMBER_FLOW_CSV_COLUMNS } from './views';
export { BalanceSchema, LedgerBalanceSchema, CreditAsOfSchema, HoldViewSchema, TierSchema, CreditViewSchema, GrantViewSchema, FlowViewSchema, FlowPageSchema, GrantPageSchema, IssuedGrantSchema } from './views';
