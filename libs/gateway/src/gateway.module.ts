import { Module } from '@nestjs/common';
import { PersonsModule } from '@loomworks/persons';
import { ApiKeysService } from './api-keys.service';
import { ApiKeyGuard } from './http/api-key.guard';
import { ApiKeysController } from './http/api-keys.controller';
import { MessagesController } from './http/messages.controller';
import { ApiKeysRepository } from './persistence/api-keys.repository';

/** Metered surfaces for programs: persons' API keys and the Anthropic-compatible Messages API. */
@Module({
  imports: [PersonsModule],
  controllers: [ApiKeysController, MessagesController],
  providers: [ApiKeysRepository, ApiKeysService, ApiKeyGuard],
  exports: [ApiKeysService],
})
export class GatewayModule {}
