import { Module } from '@nestjs/common';
import { AuthModule } from '@loomworks/auth';
import { CreditModule } from '@loomworks/credit';
import { OperationsModule } from '@loomworks/operations';
import { PersonsModule } from '@loomworks/persons';
import { OutboxModule } from '@loomworks/outbox';
import { SystemConfigModule } from '@loomworks/system-config';
import { AdminService } from './admin.service';
import { AuditService } from './audit.service';
import { MailLogService } from './mail-log.service';
import { RecoveryLinksService } from './recovery-links.service';
import { AdminController } from './http/admin.controller';
import { ReconciliationController } from './http/reconciliation.controller';

@Module({
  imports: [AuthModule, CreditModule, PersonsModule, SystemConfigModule, OperationsModule, OutboxModule],
  controllers: [AdminController, ReconciliationController],
  providers: [MailLogService, RecoveryLinksService, AuditService, AdminService],
})
export class AdminModule {}
