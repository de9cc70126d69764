import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiResponse } from '@nestjs/swagger';
import { anthropicError } from './anthropic-errors';

class AnthropicErrorDetail {
  @ApiProperty({ example: 'invalid_request_error', description: "Anthropic's error type" }) type!: string;
  @ApiProperty() message!: string;
}

/** Anthropic's error body `{type: "error", error: {type, message}}`, answered by /v1/messages. */
export class AnthropicErrorResponse {
  @ApiProperty({ enum: ['error'] }) type!: 'error';
  @ApiProperty({ type: AnthropicErrorDetail }) error!: AnthropicErrorDetail;
}

/** Documents the Messages API's error statuses in Anthropic's shape, one example each. */
export function ApiAnthropicErrors(examples: Record<number, string>): MethodDecorator {
  return applyDecorators(
    ...Object.entries(examples).map(([status, message]) => {
      const body = anthropicError(Number(status), message);
      return ApiResponse({
        status: Number(status),
        type: AnthropicErrorResponse,
        description: body.error.type,
        examples: { [body.error.type]: { summary: body.error.type, value: body } },
      });
    }),
  );
}
