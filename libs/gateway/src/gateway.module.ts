import { Module } from '@nestjs/common';
import { CreditModule } from '@loomworks/credit';
import { LlmModule } from '@loomworks/llm';
import { PersonsModule } from '@loomworks/persons';
import { SystemConfigModule } from '@loomworks/system-config';
import { ApiKeysService } from './api-keys.service';
import { ApiKeyGuard } from './http/api-key.guard';
import { ApiKeysController } from './http/api-keys.controller';
import { MessagesController } from './http/messages.controller';
import { MessagesService } from './messages.service';
import { ApiKeysRepository } from './persistence/api-keys.repository';

/** Metered surfaces for programs: persons' API keys and the Anthropic-compatible Messages API. */
@Module({
  imports: [PersonsModule, CreditModule, LlmModule, SystemConfigModule],
  controllers: [ApiKeysController, MessagesController],
  providers: [ApiKeysRepository, ApiKeysService, ApiKeyGuard, MessagesService],
  exports: [ApiKeysService],
})
export class GatewayModule {}
