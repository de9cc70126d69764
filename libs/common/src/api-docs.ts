import { applyDecorators, createParamDecorator, type ExecutionContext, type Type } from '@nestjs/common';
import { ApiHeader, ApiProperty, ApiResponse } from '@nestjs/swagger';
import { ERROR_STATUS, type ErrorCode } from './error-status';
import { ErrorResponse } from './error-response.schema';

/** The extra fields API.md names for some codes, shown in their examples. */
const EXAMPLE_DETAILS: Partial<Record<ErrorCode, Record<string, unknown>>> = {
  validation_failed: { fields: [{ field: 'amount', message: 'amount must be a positive integer' }] },
  ineligible_email: { eligibility: 'cooling', matchedHash: '3b0c…e1' },
  invalid_account_transition: { from: 'deleted', to: 'active' },
};

/**
 * Documents the errors a route (or every route of a controller) can answer, from the one
 * ERROR_STATUS table: one response per status, listing its codes, with one example per code.
 */
export function ApiErrors(...codes: (ErrorCode | [ErrorCode, number])[]): MethodDecorator & ClassDecorator {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const entry of codes) {
    // [code, status]: a route that answers the code with another status than the table's (DomainError.status)
    const [code, status] = Array.isArray(entry) ? entry : [entry, ERROR_STATUS[entry]];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return applyDecorators(
    ...[...byStatus].map(([status, list]) =>
      ApiResponse({
        status,
        type: ErrorResponse,
        description: list.join(' | '),
        examples: Object.fromEntries(
          list.map((code) => [code, { summary: code, value: { statusCode: status, error: code, message: '…', ...EXAMPLE_DETAILS[code] } }]),
        ),
      }),
    ),
  );
}

/** API.md: `Idempotency-Key`, 1–255 characters, optional; the same key and body answer the first response again. */
export const ApiIdempotencyKey = () =>
  ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    schema: { type: 'string', minLength: 1, maxLength: 255 },
    description: 'the same key and body return the first response again (24 h); another body → 409 idempotency_key_reused',
  });

/** The request's Idempotency-Key (already checked to be one header of 1–255 characters), or undefined. */
export const IdempotencyKey = createParamDecorator((_: unknown, context: ExecutionContext): string | undefined => {
  const key = context.switchToHttp().getRequest<{ headers: Record<string, string | string[] | undefined> }>().headers['idempotency-key'];
  return typeof key === 'string' ? key : undefined;
});

/**
 * The generic page type `{items, nextCursor}` for the OpenAPI document: a route's page class is
 * `class GrantPageSchema extends PageOf(GrantViewSchema) {}`, and the service's Page<T> fits it.
 */
export function PageOf<T>(item: Type<T>): Type<{ items: T[]; nextCursor: string | null }> {
  class PageOfItems {
    @ApiProperty({ type: [item] }) items!: T[];
    @ApiProperty({ type: String, nullable: true, description: 'pass as `cursor` for the next page; null on the last' }) nextCursor!: string | null;
  }
  return PageOfItems;
}
