export { CreditModule } from './credit.module';
export { CREDIT_SEAM, type CreditSeam } from './credit-seam';
export { InProcessCreditSeam } from './in-process-credit-seam';
export {
  GrantsService,
  type EligibilityResult,
  type IssueGrantCommand,
  type IssuedGrant,
  type ClaimGrantCommand,
  type ClaimResult,
} from './grants.service';
export { LedgerService, type AdjustmentCommand } from './ledger.service';
export { OracleService, type Charge, type RateRow, type SetRateCommand } from './oracle.service';
export { TiersService } from './tiers.service';
export {
  ConsumptionService,
  type ConsumptionResult,
  type RecordConsumptionCommand,
  type StageUsage,
  type PipelineStage,
} from './consumption.service';
export { LifecycleService, type ReferralCommand } from './lifecycle.service';
export { HoldsService } from './holds.service';
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
export { inputTokenBound, FRAMING_TOKENS_PER_MESSAGE, FRAMING_TOKENS_PER_REQUEST, type BoundedMessage } from './domain/hold-bound';
export * from './domain/errors';
export { emailHashes, normalizedMailbox, emailHint, type EmailHashes } from './domain/email';
export { GRANT_KINDS, GRANT_STATUSES, type Eligibility, type Grant, type GrantKind, type GrantStatus } from './domain/grant';
export {
  FLOW_KINDS,
  SYSTEM_CONSUMED,
  SYSTEM_ISSUER,
  SYSTEM_VOID,
  SYSTEM_HELD,
  personParty,
  asPersonFlow,
  type Flow,
  type FlowKind,
  type PersonFlow,
  type Page,
  type LedgerVerification,
  type LedgerDrift,
} from './domain/ledger';
export { TOKEN_KINDS, creditsFor, type TokenKind, type TokenUsage, type Rate } from './domain/oracle';
export { chooseTier, type Balance, type TierResolution, type TierConfig } from './domain/tiers';
export { jsonAmount, balanceView, holdView, creditSummaryView, flowView, grantView } from './views';
export { BalanceSchema, HoldViewSchema, TierSchema, CreditViewSchema, GrantViewSchema, FlowViewSchema, FlowPageSchema, GrantPageSchema, IssuedGrantSchema } from './view-schemas';
