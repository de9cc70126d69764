import { Module } from '@nestjs/common';
import { OutboxModule } from '@loomworks/outbox';
import { PersonsModule } from '@loomworks/persons';
import { SystemConfigModule } from '@loomworks/system-config';
import { AuthorizationsService } from './authorizations.service';
import { CreditNotices } from './credit-notices';
import { RefundsService } from './refunds.service';
import { CreditSettings } from './credit-settings';
import { GrantsService } from './grants.service';
import { HoldsService } from './holds.service';
import { LedgerService } from './ledger.service';
import { LifecycleService } from './lifecycle.service';
import { OracleService } from './oracle.service';
import { AuthorizationsRepository } from './persistence/authorizations.repository';
import { GrantsRepository } from './persistence/grants.repository';
import { HoldsRepository } from './persistence/holds.repository';
import { LedgerVerificationRepository } from './persistence/ledger-verification.repository';
import { LedgerRepository } from './persistence/ledger.repository';
import { LedgerExportRepository } from './persistence/ledger-export.repository';
import { RatesRepository } from './persistence/rates.repository';
import { SealsRepository } from './persistence/seals.repository';
import { SealerService } from './sealer.service';
import { SpendRepository } from './persistence/spend.repository';
import { SpendLimitsService } from './spend-limits.service';
import { SealRecomputation } from './seal-recomputation';
import { TierModelsCheck } from './tier-models-check.service';
import { TiersService } from './tiers.service';

/**
 * Credit's providers, bound once. Internal: no index exports it. Other modules import
 * CreditModule (the seam) or CreditStaffModule (the staff services), both built on this one, so
 * every service is a single instance whichever way it is reached.
 */
@Module({
  imports: [PersonsModule, SystemConfigModule, OutboxModule],
  providers: [
    LedgerRepository,
    LedgerVerificationRepository,
    LedgerExportRepository,
    GrantsRepository,
    HoldsRepository,
    RatesRepository,
    SealsRepository,
    SealerService,
    SealRecomputation,
    HoldsService,
    CreditNotices,
    CreditSettings,
    LedgerService,
    OracleService,
    TiersService,
    GrantsService,
    LifecycleService,
    TierModelsCheck,
    AuthorizationsRepository,
    AuthorizationsService,
    RefundsService,
    SpendRepository,
    SpendLimitsService,
  ],
  exports: [GrantsService, LedgerService, OracleService, LifecycleService, TiersService, HoldsService, TierModelsCheck, SealerService, AuthorizationsService, RefundsService, SpendLimitsService],
})
export class CreditCoreModule {}
