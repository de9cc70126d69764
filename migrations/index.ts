// Every migration, in order. Listed as classes (not a glob) so compiled runs, the CLI and jest
// load the same set.
//
// Migrations run as the tables' owner (DATABASE_MIGRATION_URL); the API runs as a runtime role.
// No GRANTs needed here: after migrating, the migrator gives the runtime role SELECT/INSERT/
// UPDATE/DELETE on every table (ALTER DEFAULT PRIVILEGES covers tables a later migration creates)
// and only SELECT/INSERT on an append-only table, i.e. one with a trigger named `*_append_only`
// (libs/database/src/privileges.ts). Name such a trigger so for a new ledger-like table.
import { CreateSystemConfig1764000000000 } from './1764000000000-CreateSystemConfig';
import { SeedSystemConfig1764000001000 } from './1764000001000-SeedSystemConfig';
import { CreatePersons1764000002000 } from './1764000002000-CreatePersons';
import { CreateCreditLedger1764000003000 } from './1764000003000-CreateCreditLedger';
import { CreateGrants1764000004000 } from './1764000004000-CreateGrants';
import { CreateOracleRates1764000005000 } from './1764000005000-CreateOracleRates';
import { CreateIdempotencyKeys1764000006000 } from './1764000006000-CreateIdempotencyKeys';
import { CreateAuth1764000007000 } from './1764000007000-CreateAuth';
import { CreateAdminAudit1764000008000 } from './1764000008000-CreateAdminAudit';
import { CreateConversations1764000009000 } from './1764000009000-CreateConversations';
import { CreateLoginThrottle1764000010000 } from './1764000010000-CreateLoginThrottle';
import { FenceIdempotencyKeys1764100000000 } from './1764100000000-FenceIdempotencyKeys';
import { CreateHolds1764100001000 } from './1764100001000-CreateHolds';
import { SeedHoldSettings1764100002000 } from './1764100002000-SeedHoldSettings';
import { IndexIdempotencyKeyAge1764200000000 } from './1764200000000-IndexIdempotencyKeyAge';
import { CreateOutbox1764300000000 } from './1764300000000-CreateOutbox';
import { ProvenMailboxesAndPasskeys1764300001000 } from './1764300001000-ProvenMailboxesAndPasskeys';
import { CreateRecoveryTokens1764300002000 } from './1764300002000-CreateRecoveryTokens';
import { CreateLedgerCheckpoint1764400000000 } from './1764400000000-CreateLedgerCheckpoint';
import { CreateReconciliationRuns1764400001000 } from './1764400001000-CreateReconciliationRuns';
import { SeedOperationsSettings1764400002000 } from './1764400002000-SeedOperationsSettings';
import { CreateWebhooks1764400003000 } from './1764400003000-CreateWebhooks';
import { FastHoldPaths1764500000000 } from './1764500000000-FastHoldPaths';
import { CreditViewFunction1764500001000 } from './1764500001000-CreditViewFunction';
import { CreateFunctionFiles1764600000000 } from './1764600000000-CreateFunctionFiles';
import { CreateScheduledJobs1764600500000 } from './1764600500000-CreateScheduledJobs';
import { HoldRates1764600600000 } from './1764600600000-HoldRates';
import { CreateApiKeys1764610000000 } from './1764610000000-CreateApiKeys';
import { SeedCreditAssetModels1764610001000 } from './1764610001000-SeedCreditAssetModels';
import { PoolPayers1764700000000 } from './1764700000000-PoolPayers';
import { SignupClaimLinks1764700100000 } from './1764700100000-SignupClaimLinks';
import { CreateLlmCalls1764700713100 } from './1764700713100-CreateLlmCalls';
import { TurnStatus1764700713200 } from './1764700713200-TurnStatus';
import { CreateSeals1764730000000 } from './1764730000000-CreateSeals';
import { SeedSealInterval1764730001000 } from './1764730001000-SeedSealInterval';
import { SpendLimits1764740000000 } from './1764740000000-SpendLimits';
import { AsOfBalanceIndexes1764742300000 } from './1764742300000-AsOfBalanceIndexes';
import { CreateServiceKeys1764820000000 } from './1764820000000-CreateServiceKeys';
import { CreateAuthorizations1764820001000 } from './1764820001000-CreateAuthorizations';
import { SeedAuthorizationMaxSeconds1764820002000 } from './1764820002000-SeedAuthorizationMaxSeconds';
import { CreateRefunds1764820003000 } from './1764820003000-CreateRefunds';
import { LlmCallRefunds1764820004000 } from './1764820004000-LlmCallRefunds';
import { SealEncodingV21764910000000 } from './1764910000000-SealEncodingV2';
import { VerificationWatch1764920000000 } from './1764920000000-VerificationWatch';
import { PersonHistoryStatistics1764930000000 } from './1764930000000-PersonHistoryStatistics';
import { SealEncodingV31764940000000 } from './1764940000000-SealEncodingV3';
import { LlmCallsTurnIndex1764960000000 } from './1764960000000-LlmCallsTurnIndex';
import { PoolHistoryIndexes1764970000000 } from './1764970000000-PoolHistoryIndexes';
import { FlowPairStatistics1764980000000 } from './1764980000000-FlowPairStatistics';
import { UnreadHoldIndexes1764990000000 } from './1764990000000-UnreadHoldIndexes';

export const allMigrations = [
  CreateSystemConfig1764000000000,
  SeedSystemConfig1764000001000,
  CreatePersons1764000002000,
  CreateCreditLedger1764000003000,
  CreateGrants1764000004000,
  CreateOracleRates1764000005000,
  CreateIdempotencyKeys1764000006000,
  CreateAuth1764000007000,
  CreateAdminAudit1764000008000,
  CreateConversations1764000009000,
  CreateLoginThrottle1764000010000,
  FenceIdempotencyKeys1764100000000,
  CreateHolds1764100001000,
  SeedHoldSettings1764100002000,
  IndexIdempotencyKeyAge1764200000000,
  CreateOutbox1764300000000,
  ProvenMailboxesAndPasskeys1764300001000,
  CreateRecoveryTokens1764300002000,
  CreateLedgerCheckpoint1764400000000,
  CreateReconciliationRuns1764400001000,
  SeedOperationsSettings1764400002000,
  CreateWebhooks1764400003000,
  FastHoldPaths1764500000000,
  CreditViewFunction1764500001000,
  CreateFunctionFiles1764600000000,
  CreateScheduledJobs1764600500000,
  HoldRates1764600600000,
  CreateApiKeys1764610000000,
  SeedCreditAssetModels1764610001000,
  PoolPayers1764700000000,
  SignupClaimLinks1764700100000,
  CreateLlmCalls1764700713100,
  TurnStatus1764700713200,
  CreateSeals1764730000000,
  SeedSealInterval1764730001000,
  SpendLimits1764740000000,
  AsOfBalanceIndexes1764742300000,
  CreateServiceKeys1764820000000,
  CreateAuthorizations1764820001000,
  SeedAuthorizationMaxSeconds1764820002000,
  CreateRefunds1764820003000,
  LlmCallRefunds1764820004000,
  SealEncodingV21764910000000,
  VerificationWatch1764920000000,
  PersonHistoryStatistics1764930000000,
  SealEncodingV31764940000000,
  LlmCallsTurnIndex1764960000000,
  PoolHistoryIndexes1764970000000,
  FlowPairStatistics1764980000000,
  UnreadHoldIndexes1764990000000,
];
