// The staff-facing surface of credit (admin, operations, the composition root, test suites).
export { CreditStaffModule } from './credit-staff.module';
export { GrantsService } from '../grants.service';
export { LedgerService, type AdjustmentCommand } from '../ledger.service';
export { OracleService, type SetRateCommand } from '../oracle.service';
export { TiersService } from '../tiers.service';
export { LifecycleService } from '../lifecycle.service';
export { HoldsService } from '../holds.service';
export { TierModelsCheck } from '../tier-models-check.service';
export { SealerService } from '../sealer.service';
export { SpendLimitsService } from '../spend-limits.service';
export type { Seal, BrokenSeal } from '../domain/seals';
export { AuthorizationsService } from '../authorizations.service';
export { RefundsService, type RefundCommand, type RefundResult } from '../refunds.service';
