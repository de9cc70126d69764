import { Module } from '@nestjs/common';
import { CreditModule } from '@loomworks/credit';
import { PersonsModule } from '@loomworks/persons';
import { SystemConfigModule } from '@loomworks/system-config';
import { ConversationsService } from './conversations.service';
import { ConverseService } from './converse.service';
import { EngagementsController } from './http/engagements.controller';
import { KeyResolver } from './key-resolver.service';
import { AnthropicLlmClient } from './llm/anthropic-llm-client';
import { LLM_CLIENT } from './llm/llm-client';
import { MembershipService } from './membership.service';
import { OperatorKeyService } from './operator-key.service';
import { ConversationsRepository } from './persistence/conversations.repository';

@Module({
  imports: [CreditModule, PersonsModule, SystemConfigModule],
  controllers: [EngagementsController],
  providers: [
    ConversationsRepository,
    MembershipService,
    OperatorKeyService,
    KeyResolver,
    ConverseService,
    ConversationsService,
    { provide: LLM_CLIENT, useClass: AnthropicLlmClient },
  ],
})
export class OrchestrationModule {}
