import { Body, Controller, Headers, HttpCode, Post, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '@loomworks/auth';
import { MessagesService, type RelaySink } from '../messages.service';
import { AnthropicErrorFilter } from './anthropic-errors';
import { ApiAnthropicErrors } from './anthropic-error.schema';
import { ApiKeyGuard, PresentedApiKey } from './api-key.guard';

/** The HTTP reply as a relay: whole answers through Fastify (its hooks run), streams written to the socket as they come. */
function replySink(reply: FastifyReply): RelaySink {
  return {
    whole: (status, headers, body) => void reply.status(status).headers(headers).send(body),
    open: (status, headers) => {
      reply.hijack();
      reply.raw.writeHead(status, { ...(reply.getHeaders() as Record<string, string | string[]>), ...headers });
      reply.raw.flushHeaders();
    },
    write: (chunk) => {
      if (!reply.raw.destroyed) reply.raw.write(chunk);
    },
    close: () => {
      if (!reply.raw.destroyed) reply.raw.end();
    },
  };
}

/** The Anthropic-compatible Messages API: an official SDK works with its base URL pointed here and a Loomworks key. */
@ApiTags('messages')
@Controller('v1')
@Public() // authenticated by an API key, not a session
@UseGuards(ApiKeyGuard)
@UseFilters(AnthropicErrorFilter)
export class MessagesController {
  constructor(private readonly messages: MessagesService) {}

  @Post('messages')
  @HttpCode(200)
  @ApiOperation({ summary: "Anthropic's Messages API (stream too), paid from the key's credit with the same guarantee as a turn" })
  @ApiHeader({ name: 'x-api-key', required: false, description: 'lw_… (or Authorization: Bearer lw_…)' })
  @ApiOkResponse({ description: "the provider's answer, unchanged (JSON, or its SSE stream), with loomworks-request-id and, when not streaming, loomworks-credit-asset/-held/-charged/-balance" })
  @ApiAnthropicErrors({
    400: 'messages.0.content.0.type: content of this type can’t be bounded before the call …',
    401: 'invalid x-api-key',
    402: 'This request may cost up to 1200 credits (its proven bound: input as sent, output up to max_tokens); 300 haiku credits are available',
    403: 'The credit of this key buys no claude-opus-4-7 calls',
    413: 'Request exceeds the maximum allowed number of bytes',
    429: 'At most 4 turns may run at once; wait for one to finish',
    502: 'The provider failed to answer; nothing was charged',
  })
  async create(
    @PresentedApiKey() presentedKey: string,
    @Body() body: unknown,
    @Headers('anthropic-version') anthropicVersion: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    await this.messages.relay({ presentedKey, body, anthropicVersion }, replySink(reply));
  }
}
