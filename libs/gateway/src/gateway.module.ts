import { Module } from '@nestjs/common';
import { CreditModule } from '@loomworks/credit';
import { LlmModule } from '@loomworks/llm';
import { PersonsModule } from '@loomworks/persons';
import { SystemConfigModule } from '@loomworks/system-config';
import { ApiKeysService } from './api-keys.service';
import { AuthorizationsGateway } from './authorizations.gateway';
import { AuthorizationsController } from './http/authorizations.controller';
import { ServiceKeyGuard } from './http/service-key.guard';
import { ServiceKeysRepository } from './persistence/service-keys.repository';
import { ServiceKeysService } from './service-keys.service';
import { ApiKeyGuard } from './http/api-key.guard';
import { ApiKeysController } from './http/api-keys.controller';
import { MessagesController } from './http/messages.controller';
import { MessagesService } from './messages.service';
import { ApiKeysRepository } from './persistence/api-keys.repository';
import { RequestCreditRepository } from './persistence/request-credit.repository';
import { RequestCredit } from './request-credit';

/** Metered surfaces for programs: persons' API keys, the Anthropic-compatible Messages API, service keys and authorizations. */
@Module({
  imports: [PersonsModule, CreditModule, LlmModule, SystemConfigModule],
  controllers: [ApiKeysController, MessagesController, AuthorizationsController],
  providers: [ApiKeysRepository, ApiKeysService, ApiKeyGuard, MessagesService, RequestCredit, RequestCreditRepository, ServiceKeysRepository, ServiceKeysService, ServiceKeyGuard, AuthorizationsGateway],
  exports: [ApiKeysService, ServiceKeysService],
})
export class GatewayModule {}
