export { DomainError, ValidationFailedError, UnauthenticatedError, ForbiddenError, type FieldError } from './domain-error';
export { CLOCK, type Clock, systemClock } from './clock';
export { ClockModule } from './clock.module';
export { PageQueryDto } from './page-query.dto';
export { encodeKeysetCursor, decodeKeysetCursor } from './keyset-cursor';
export { LlmKeyDto } from './llm-key.dto';
export { ErrorResponse } from './error-response.schema';
export { Meters, MetersModule } from './meters';
