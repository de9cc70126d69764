import { Module } from '@nestjs/common';
import { AuthModule } from '@loomworks/auth';
import { CreditModule } from '@loomworks/credit';
import { CreditStaffModule } from '@loomworks/credit/staff';
import { GatewayModule } from '@loomworks/gateway';
import { LlmModule } from '@loomworks/llm';
import { NotificationsModule } from '@loomworks/notifications';
import { OperationsModule } from '@loomworks/operations';
import { OutboxModule } from '@loomworks/outbox';
import { PersonsModule } from '@loomworks/persons';
import { SystemConfigModule } from '@loomworks/system-config';
import { AdminAccountsService } from './admin-accounts.service';
import { AdminEventsService } from './admin-events.service';
import { AdminGrantsService } from './admin-grants.service';
import { AdminLedgerService } from './admin-ledger.service';
import { AdminReconciliationService } from './admin-reconciliation.service';
import { AdminSettingsService } from './admin-settings.service';
import { AdminWebhooksService } from './admin-webhooks.service';
import { AuditService } from './audit.service';
import { AuditRepository } from './persistence/audit.repository';
import { MailLogService } from './mail-log.service';
import { RecoveryLinksService } from './recovery-links.service';
import { PoolsController } from './http/pools.controller';
import { AdminLimitsController } from './http/admin-limits.controller';
import { AdminController } from './http/admin.controller';
import { AdminApiKeysController } from './http/admin-api-keys.controller';
import { ReconciliationController } from './http/reconciliation.controller';
import { EventsController } from './http/events.controller';
import { LlmCallsController } from './http/llm-calls.controller';
import { WebhooksController } from './http/webhooks.controller';
import { ServiceKeysController } from './http/service-keys.controller';
import { RefundsController } from './http/refunds.controller';
import { AdminRefundsService } from './admin-refunds.service';
import { BulkGrantsController } from './http/bulk-grants.controller';
import { AdminBulkGrantsService } from './admin-bulk-grants.service';

@Module({
  imports: [AuthModule, CreditModule, CreditStaffModule, PersonsModule, SystemConfigModule, OperationsModule, NotificationsModule, OutboxModule, GatewayModule, LlmModule],
  controllers: [AdminController, PoolsController, AdminLimitsController, AdminApiKeysController, ReconciliationController, WebhooksController, EventsController, LlmCallsController, ServiceKeysController, RefundsController, BulkGrantsController],
  providers: [MailLogService, RecoveryLinksService, AuditRepository, AuditService, AdminGrantsService, AdminAccountsService, AdminLedgerService, AdminSettingsService, AdminWebhooksService, AdminEventsService, AdminReconciliationService, AdminRefundsService, AdminBulkGrantsService],
})
export class AdminModule {}
