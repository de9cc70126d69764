import { Body, Controller, Get, Headers, HttpCode, Param, ParseUUIDPipe, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiResponse, ApiTags } from '@nestjs/swagger';
import { IsOptional, IsString, IsUUID, Length } from 'class-validator';
import { CurrentPerson } from '@loomworks/auth';
import { ErrorResponse, LlmKeyDto, PageQueryDto, ValidationFailedError } from '@loomworks/common';
import { type Person, PersonsService } from '@loomworks/persons';
import { ConversationsService } from '../conversations.service';
import { ConverseService } from '../converse.service';
import { MembershipService } from '../membership.service';
import { ConverseResponseSchema } from './view-schemas';

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
@ApiResponse({ status: 401, description: 'unauthenticated', type: ErrorResponse })
@ApiResponse({ status: 403, description: 'forbidden (not a member of the engagement)', type: ErrorResponse })
@ApiResponse({ status: 404, description: 'engagement_not_found', type: ErrorResponse })
@Controller('engagements/:engagementId')
export class EngagementsController {
  constructor(
    private readonly converseService: ConverseService,
    private readonly conversations: ConversationsService,
    private readonly membership: MembershipService,
    private readonly persons: PersonsService,
  ) {}

  @Post('converse')
  @HttpCode(200)
  @ApiOperation({ summary: 'One conversation turn: key resolution, credit gate, classify → route → respond, charged' })
  @ApiHeader({ name: 'Idempotency-Key', required: false })
  @ApiOkResponse({ type: ConverseResponseSchema })
  @ApiResponse({ status: 429, description: 'turns_in_flight (more than max_turns_in_flight system-key turns of this person running)', type: ErrorResponse })
  @ApiResponse({ status: 502, description: 'llm_error (upstream failed or answered without usage; nothing charged, the hold released)', type: ErrorResponse })
  @ApiResponse({ status: 503, description: 'no_llm_key', type: ErrorResponse })
  converse(
    @CurrentPerson() person: Person,
    @Param('engagementId', uuid('engagementId')) engagementId: string,
    @Body() body: ConverseDto,
    @Headers('idempotency-key') idempotencyKey?: string,
  ) {
    return this.converseService.converse({ person, engagementId, message: body.message, conversationId: body.conversationId, idempotencyKey });
  }

  @Get('conversations')
  @ApiOperation({ summary: "The engagement's conversations, most recent first" })
  list(@CurrentPerson() person: Person, @Param('engagementId', uuid('engagementId')) engagementId: string, @Query() query: PageQueryDto) {
    return this.conversations.list(engagementId, person.id, query);
  }

  @Get('conversations/:conversationId/turns')
  @ApiOperation({ summary: 'The turns of a conversation, oldest first' })
  @ApiResponse({ status: 404, description: 'conversation_not_found', type: ErrorResponse })
  turns(
    @CurrentPerson() person: Person,
    @Param('engagementId', uuid('engagementId')) engagementId: string,
    @Param('conversationId', uuid('conversationId')) conversationId: string,
  ) {
    return this.conversations.turns(engagementId, conversationId, person.id);
  }

  @Put('llm-key')
  @HttpCode(204)
  @ApiOperation({ summary: "Set the engagement's operator LLM key (owner only; stored encrypted, never returned)" })
  async setOperatorKey(@CurrentPerson() person: Person, @Param('engagementId', uuid('engagementId')) engagementId: string, @Body() body: LlmKeyDto) {
    await this.membership.requireOwner(engagementId, person.id);
    await this.persons.setEngagementLlmKey(engagementId, body.apiKey);
  }
}
