import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsOptional, IsString, IsUUID, Length } from 'class-validator';
import { CurrentPerson } from '@loomworks/auth';
import { ApiErrors, ApiIdempotencyKey, IdempotencyKey, LlmKeyDto, PageQueryDto, ValidationFailedError } from '@loomworks/common';
import type { Person } from '@loomworks/persons';
import { ConversationsService } from '../conversations.service';
import { ConverseService } from '../converse.service';
import { OperatorKeyService } from '../operator-key.service';
import { ConversationPageSchema, ConverseResponseSchema, TurnListSchema } from '../views';

class ConverseDto {
  @ApiProperty()
  @IsString()
  @Length(1, 32_000)
  message!: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsUUID()
  conversationId?: string;
}

const uuid = (field: string) =>
  new ParseUUIDPipe({ exceptionFactory: () => new ValidationFailedError([{ field, message: `${field} must be a UUID` }]) });

@ApiTags('converse')
@ApiBearerAuth()
@ApiErrors('validation_failed', 'unauthenticated', 'forbidden', 'engagement_not_found')
@Controller('engagements/:engagementId')
export class EngagementsController {
  constructor(
    private readonly converseService: ConverseService,
    private readonly conversations: ConversationsService,
    private readonly operatorKey: OperatorKeyService,
  ) {}

  @Post('converse')
  @HttpCode(200)
  @ApiOperation({ summary: 'One conversation turn: key resolution, credit gate, classify → route → respond, charged' })
  @ApiIdempotencyKey()
  @ApiOkResponse({ type: ConverseResponseSchema })
  @ApiErrors(
    'validation_failed',
    'unauthenticated',
    'forbidden',
    'engagement_not_found',
    'conversation_not_found',
    'idempotency_key_reused',
    'idempotency_key_in_progress',
    'turns_in_flight',
    'llm_error',
    'no_llm_key',
    'missing_rate',
  )
  converse(
    @CurrentPerson() person: Person,
    @Param('engagementId', uuid('engagementId')) engagementId: string,
    @Body() body: ConverseDto,
    @IdempotencyKey() idempotencyKey?: string,
  ): Promise<ConverseResponseSchema> {
    return this.converseService.converse({ person, engagementId, message: body.message, conversationId: body.conversationId, idempotencyKey });
  }

  @Get('conversations')
  @ApiOperation({ summary: "The engagement's conversations, most recent first" })
  @ApiOkResponse({ type: ConversationPageSchema })
  list(@CurrentPerson() person: Person, @Param('engagementId', uuid('engagementId')) engagementId: string, @Query() query: PageQueryDto): Promise<ConversationPageSchema> {
    return this.conversations.list(engagementId, person.id, query);
  }

  @Get('conversations/:conversationId/turns')
  @ApiOperation({ summary: 'The turns of a conversation, oldest first' })
  @ApiOkResponse({ type: TurnListSchema })
  @ApiErrors('validation_failed', 'unauthenticated', 'forbidden', 'engagement_not_found', 'conversation_not_found')
  turns(
    @CurrentPerson() person: Person,
    @Param('engagementId', uuid('engagementId')) engagementId: string,
    @Param('conversationId', uuid('conversationId')) conversationId: string,
  ): Promise<TurnListSchema> {
    return this.conversations.turns(engagementId, conversationId, person.id);
  }

  @Put('llm-key')
  @HttpCode(204)
  @ApiOperation({ summary: "Set the engagement's operator LLM key (owner only; stored encrypted, never returned)" })
  @ApiNoContentResponse()
  async setOperatorKey(@CurrentPerson() person: Person, @Param('engagementId', uuid('engagementId')) engagementId: string, @Body() body: LlmKeyDto) {
    await this.operatorKey.set({ engagementId, personId: person.id, apiKey: body.apiKey });
  }
}
