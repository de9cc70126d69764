import type { Readable } from 'node:stream';
import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Post, Put, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiProduces, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { IsOptional, IsString, IsUUID, Length } from 'class-validator';
import { CurrentPerson } from '@loomworks/auth';
import { ApiErrors, ApiIdempotencyKey, IdempotencyKey, LlmKeyDto, Meters, PageQueryDto, uuidParam } from '@loomworks/common';
import type { Person } from '@loomworks/persons';
import { ConversationsService } from '../conversations.service';
import { ConverseService } from '../converse.service';
import { OperatorKeyService } from '../operator-key.service';
import { streamTurn, wantsEventStream } from './turn-events';
import { ConversationPageSchema, ConverseResponseSchema, TurnPageSchema } from '../views';

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


@ApiTags('converse')
@ApiBearerAuth()
@ApiErrors('validation_failed', 'unauthenticated', 'forbidden', 'engagement_not_found')
@Controller('engagements/:engagementId')
export class EngagementsController {
  constructor(
    private readonly converseService: ConverseService,
    private readonly conversations: ConversationsService,
    private readonly operatorKey: OperatorKeyService,
    private readonly meters: Meters,
  ) {}

  @Post('converse')
  @HttpCode(200)
  @ApiOperation({
    summary: 'One conversation turn: key resolution, credit gate, classify → route → respond, charged',
    description:
      'With `Accept: text/event-stream` the turn streams as server-sent events: `turn.started` {conversationId, keySource, models, credit?: {asset, held}}, ' +
      '`reply.delta` {text} …, then `turn.completed` (the ConverseResponse) or `turn.failed` (the error shape). Errors before the turn starts are ordinary JSON; ' +
      'a structural refusal is a single `turn.completed`.',
  })
  @ApiIdempotencyKey()
  @ApiProduces('application/json', 'text/event-stream')
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
  async converse(
    @CurrentPerson() person: Person,
    @Param('engagementId', uuidParam('engagementId')) engagementId: string,
    @Body() body: ConverseDto,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
    @IdempotencyKey() idempotencyKey?: string,
  ): Promise<ConverseResponseSchema | Readable> {
    const command = { person, engagementId, message: body.message, conversationId: body.conversationId, idempotencyKey };
    if (!wantsEventStream(accept)) return this.converseService.converse(command);
    const arrived = process.hrtime.bigint();
    const firstByte = () => this.meters.streamFirstByte.observe({ source: 'converse' }, Number(process.hrtime.bigint() - arrived) / 1e9);
    const events = await streamTurn((sink) => this.converseService.converse(command, sink), firstByte);
    void reply.header('content-type', 'text/event-stream; charset=utf-8').header('cache-control', 'no-cache');
    return events;
  }

  @Get('conversations')
  @ApiOperation({ summary: "The engagement's conversations, most recent first" })
  @ApiOkResponse({ type: ConversationPageSchema })
  list(@CurrentPerson() person: Person, @Param('engagementId', uuidParam('engagementId')) engagementId: string, @Query() query: PageQueryDto): Promise<ConversationPageSchema> {
    return this.conversations.list(engagementId, person.id, query);
  }

  @Get('conversations/:conversationId/turns')
  @ApiOperation({ summary: 'The turns of a conversation, oldest first, a page at a time' })
  @ApiOkResponse({ type: TurnPageSchema })
  @ApiErrors('validation_failed', 'unauthenticated', 'forbidden', 'engagement_not_found', 'conversation_not_found')
  turns(
    @CurrentPerson() person: Person,
    @Param('engagementId', uuidParam('engagementId')) engagementId: string,
    @Param('conversationId', uuidParam('conversationId')) conversationId: string,
    @Query() query: PageQueryDto,
  ): Promise<TurnPageSchema> {
    return this.conversations.turns(engagementId, conversationId, person.id, query);
  }

  @Put('llm-key')
  @HttpCode(204)
  @ApiOperation({ summary: "Set the engagement's operator LLM key (owner only; stored encrypted, never returned)" })
  @ApiNoContentResponse()
  async setOperatorKey(@CurrentPerson() person: Person, @Param('engagementId', uuidParam('engagementId')) engagementId: string, @Body() body: LlmKeyDto) {
    await this.operatorKey.set({ engagementId, personId: person.id, apiKey: body.apiKey });
  }

  @Delete('llm-key')
  @HttpCode(204)
  @ApiOperation({ summary: "Remove the engagement's operator LLM key (owner only)" })
  @ApiNoContentResponse()
  async removeOperatorKey(@CurrentPerson() person: Person, @Param('engagementId', uuidParam('engagementId')) engagementId: string) {
    await this.operatorKey.set({ engagementId, personId: person.id, apiKey: null });
  }
}
