import { Body, Controller, HttpCode, Post, UseFilters, UseGuards } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '@loomworks/auth';
import type { ApiKeyCaller } from '../domain/api-key';
import { MessagesNotOpenError } from '../domain/errors';
import { parseMessagesRequest } from '../domain/messages-request';
import { AnthropicErrorFilter } from './anthropic-errors';
import { ApiAnthropicErrors } from './anthropic-error.schema';
import { ApiKeyCallerParam, ApiKeyGuard } from './api-key.guard';

/** The Anthropic-compatible Messages API: an official SDK works with its base URL pointed here and a Loomworks key. */
@ApiTags('messages')
@Controller('v1')
@Public() // authenticated by an API key, not a session
@UseGuards(ApiKeyGuard)
@UseFilters(AnthropicErrorFilter)
export class MessagesController {
  @Post('messages')
  @HttpCode(200)
  @ApiOperation({ summary: "Anthropic's Messages API (stream too), paid from the key's credit with the same guarantee as a turn" })
  @ApiHeader({ name: 'x-api-key', required: false, description: 'lw_… (or Authorization: Bearer lw_…)' })
  @ApiOkResponse({ description: "the provider's answer, unchanged (JSON, or its SSE stream)" })
  @ApiAnthropicErrors({
    400: 'messages.0.content.0.type: content of this type can’t be bounded before the call …',
    401: 'invalid x-api-key',
    402: 'This request may cost up to 1200 credits (its proven bound); 300 haiku credits are available',
    403: 'The credit of this key buys no claude-opus-4 calls',
    413: 'Request exceeds the maximum allowed number of bytes',
    429: 'Too many requests in flight',
    502: 'The provider failed; nothing was charged',
  })
  messages(@ApiKeyCallerParam() _caller: ApiKeyCaller, @Body() body: unknown): never {
    parseMessagesRequest(body);
    // Until the request hold lands (issue 21, next step), nothing is forwarded: no unmetered spend.
    throw new MessagesNotOpenError();
  }
}
