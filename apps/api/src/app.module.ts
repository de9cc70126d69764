import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { LoggerModule } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import { AdminModule } from '@loomworks/admin';
import { AuthModule } from '@loomworks/auth';
import { ClockModule, MetersModule } from '@loomworks/common';
import { ConfigModule, type AppConfig } from '@loomworks/config';
import { CREDIT_FUNCTIONS_DIR, CreditModule } from '@loomworks/credit';
import { DatabaseModule } from '@loomworks/database';
import { GATEWAY_FUNCTIONS_DIR, GatewayModule } from '@loomworks/gateway';
import { LLM_FUNCTIONS_DIR } from '@loomworks/llm';
import { NotificationsModule } from '@loomworks/notifications';
import { OperationsModule } from '@loomworks/operations';
import { ORCHESTRATION_FUNCTIONS_DIR, OrchestrationModule } from '@loomworks/orchestration';
import { OutboxModule } from '@loomworks/outbox';
import { PersonsModule } from '@loomworks/persons';
import { SystemConfigModule } from '@loomworks/system-config';
import { allMigrations } from '../../../migrations';
import { HealthController } from './health/health.controller';
import { PagesController } from './pages/pages.controller';
import { AllExceptionsFilter } from './http/exception.filter';
import { createValidationPipe } from './http/validation';
import { HTTP_LOGGER, loggerParams, RequestLogging } from './logging';

export interface AppModuleOptions {
  /** where logs go (stdout when absent); tests capture them */
  logStream?: DestinationStream;
}

/**
 * The composition root. Pipes and filters are APP_* providers so an app built by
 * Test.createTestingModule validates and maps errors exactly as production does.
 */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig, options: AppModuleOptions = {}): DynamicModule {
    const logging = loggerParams(config, options.logStream);
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot(logging.params),
        ClockModule,
        MetersModule,
        DatabaseModule.forRoot({ migrations: allMigrations, functionDirs: [CREDIT_FUNCTIONS_DIR, ORCHESTRATION_FUNCTIONS_DIR, LLM_FUNCTIONS_DIR, GATEWAY_FUNCTIONS_DIR] }),
        SystemConfigModule,
        OutboxModule,
        PersonsModule,
        CreditModule,
        AuthModule,
        AdminModule,
        OrchestrationModule,
        GatewayModule,
        NotificationsModule,
        OperationsModule,
      ],
      controllers: [HealthController, PagesController],
      providers: [
        { provide: APP_PIPE, useFactory: createValidationPipe },
        { provide: APP_FILTER, useClass: AllExceptionsFilter },
        { provide: HTTP_LOGGER, useValue: logging.httpLogger },
        RequestLogging,
      ],
    };
  }
}
