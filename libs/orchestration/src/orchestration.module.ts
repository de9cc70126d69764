import { Module } from '@nestjs/common';
import { CreditModule } from '@loomworks/credit';
import { LlmModule } from '@loomworks/llm';
import { PersonsModule } from '@loomworks/persons';
import { SystemConfigModule } from '@loomworks/system-config';
import { ConversationsService } from './conversations.service';
import { ConverseService } from './converse.service';
import { EngagementsController } from './http/engagements.controller';
import { KeyResolver } from './key-resolver.service';
import { MembershipService } from './membership.service';
import { OperatorKeyService } from './operator-key.service';
import { ConversationsRepository } from './persistence/conversations.repository';

@Module({
  imports: [CreditModule, LlmModule, PersonsModule, SystemConfigModule],
  controllers: [EngagementsController],
  providers: [
    ConversationsRepository,
    MembershipService,
    OperatorKeyService,
    KeyResolver,
    ConverseService,
    ConversationsService,
  ],
})
export class OrchestrationModule {}
