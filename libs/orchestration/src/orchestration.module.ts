import { Module } from '@nestjs/common';
import { CreditModule } from '@loomworks/credit';
import { LlmModule } from '@loomworks/llm';
import { OutboxModule } from '@loomworks/outbox';
import { PersonsModule } from '@loomworks/persons';
import { SystemConfigModule } from '@loomworks/system-config';
import { ConversationsService } from './conversations.service';
import { ConverseService } from './converse.service';
import { EngagementsController } from './http/engagements.controller';
import { TeamsController } from './http/teams.controller';
import { UsageController } from './http/usage.controller';
import { KeyResolver } from './key-resolver.service';
import { MembershipService } from './membership.service';
import { OperatorKeyService } from './operator-key.service';
import { ConversationsRepository } from './persistence/conversations.repository';
import { TeamsService } from './teams.service';

@Module({
  imports: [CreditModule, LlmModule, OutboxModule, PersonsModule, SystemConfigModule],
  controllers: [EngagementsController, TeamsController, UsageController],
  providers: [
    ConversationsRepository,
    MembershipService,
    OperatorKeyService,
    KeyResolver,
    ConverseService,
    ConversationsService,
    TeamsService,
  ],
})
export class OrchestrationModule {}
