import { Module } from '@nestjs/common';
import { OutboxModule } from '@loomworks/outbox';
import { PersonsModule } from '@loomworks/persons';
import { SystemConfigModule } from '@loomworks/system-config';
import { ConsumptionService } from './consumption.service';
import { CREDIT_SEAM } from './credit-seam';
import { CreditNotices } from './credit-notices';
import { CreditSettings } from './credit-settings';
import { GrantsService } from './grants.service';
import { InProcessCreditSeam } from './in-process-credit-seam';
import { LedgerService } from './ledger.service';
import { LifecycleService } from './lifecycle.service';
import { OracleService } from './oracle.service';
import { GrantsRepository } from './persistence/grants.repository';
import { LedgerRepository } from './persistence/ledger.repository';
import { LedgerVerificationRepository } from './persistence/ledger-verification.repository';
import { HoldsRepository } from './persistence/holds.repository';
import { HoldsService } from './holds.service';
import { TiersService } from './tiers.service';

@Module({
  imports: [PersonsModule, SystemConfigModule, OutboxModule],
  providers: [
    LedgerRepository,
    LedgerVerificationRepository,
    GrantsRepository,
    HoldsRepository,
    HoldsService,
    CreditNotices,
    CreditSettings,
    LedgerService,
    OracleService,
    TiersService,
    GrantsService,
    ConsumptionService,
    LifecycleService,
    InProcessCreditSeam,
    { provide: CREDIT_SEAM, useExisting: InProcessCreditSeam },
  ],
  // The seam for auth and orchestration; the services for the admin surface (and HoldsService's
  // sweepExpired for the reconciler).
  exports: [CREDIT_SEAM, GrantsService, LedgerService, OracleService, LifecycleService, TiersService, HoldsService],
})
export class CreditModule {}
