import { Module } from '@nestjs/common';
import { CreditStaffModule } from '@loomworks/credit/staff';
import { OutboxModule } from '@loomworks/outbox';
import { SystemConfigModule } from '@loomworks/system-config';
import { DatabaseGauges } from './database-gauges';
import { MetricsController } from './http/metrics.controller';
import { HttpMetrics } from './http-metrics';
import { MetricsListener } from './metrics-listener';
import { MetricsService } from './metrics.service';
import { GaugesRepository } from './persistence/gauges.repository';
import { ReconciliationRepository } from './persistence/reconciliation.repository';
import { ReconcilerService } from './reconciler.service';
import { StateGauges } from './state-gauges';

/** The reconciler (scheduled and on-demand checks) and the /metrics endpoint. */
@Module({
  imports: [CreditStaffModule, OutboxModule, SystemConfigModule],
  controllers: [MetricsController],
  providers: [ReconciliationRepository, ReconcilerService, HttpMetrics, DatabaseGauges, GaugesRepository, StateGauges, MetricsService, MetricsListener],
  exports: [ReconcilerService],
})
export class OperationsModule {}
