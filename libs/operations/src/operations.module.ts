import { Module } from '@nestjs/common';
import { CreditModule } from '@loomworks/credit';
import { OutboxModule } from '@loomworks/outbox';
import { SystemConfigModule } from '@loomworks/system-config';
import { DatabaseGauges } from './database-gauges';
import { MetricsController } from './http/metrics.controller';
import { HttpMetrics } from './http-metrics';
import { ReconciliationRepository } from './persistence/reconciliation.repository';
import { ReconcilerService } from './reconciler.service';

/** The reconciler (scheduled and on-demand checks) and the /metrics endpoint. */
@Module({
  imports: [CreditModule, OutboxModule, SystemConfigModule],
  controllers: [MetricsController],
  providers: [ReconciliationRepository, ReconcilerService, HttpMetrics, DatabaseGauges],
  exports: [ReconcilerService],
})
export class OperationsModule {}
