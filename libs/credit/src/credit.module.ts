import { Module } from '@nestjs/common';
import { CreditCoreModule } from './credit-core.module';
import { CREDIT_SEAM } from './credit-seam';
import { InProcessCreditSeam } from './in-process-credit-seam';

/**
 * What auth and orchestration import: only CREDIT_SEAM (DESIGN.md: "nothing else in those modules
 * touches credit"). Staff surfaces import CreditStaffModule from `@loomworks/credit/staff`.
 */
@Module({
  imports: [CreditCoreModule],
  providers: [InProcessCreditSeam, { provide: CREDIT_SEAM, useExisting: InProcessCreditSeam }],
  exports: [CREDIT_SEAM],
})
export class CreditModule {}
