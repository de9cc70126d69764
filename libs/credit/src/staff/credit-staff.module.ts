import { Module } from '@nestjs/common';
import { CreditCoreModule } from '../credit-core.module';

/**
 * Credit's services for staff-facing modules (admin, operations): issue and revoke grants, adjust,
 * set rates, verify the ledger, sweep holds. auth and orchestration may not import this entry
 * (dependency-cruiser rule `credit-seam-only`).
 */
@Module({
  imports: [CreditCoreModule],
  exports: [CreditCoreModule],
})
export class CreditStaffModule {}
