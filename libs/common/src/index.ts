export { DomainError, ValidationFailedError, UnauthenticatedError, ForbiddenError, type FieldError } from './domain-error';
export { CLOCK, type Clock, systemClock } from './clock';
export { ClockModule } from './clock.module';
export { PageQueryDto } from './page-query.dto';
export { AsOfQueryDto } from './as-of-query.dto';
export {
  CursorCodec,
  paginate,
  mapPage,
  pageSize,
  DEFAULT_PAGE_SIZE,
  MAX_PAGE_SIZE,
  type Page,
  type PageRequest,
  type SequencePosition,
  type KeysetPosition,
} from './pagination';
export { canonicalEmail, parseEmailAddress, emailHint, InvalidEmailError, type EmailAddress } from './email';
export { LlmKeyDto } from './llm-key.dto';
export { ErrorResponse, FieldErrorSchema } from './error-response.schema';
export { ERROR_STATUS, type ErrorCode } from './error-status';
export { ApiErrors, ApiIdempotencyKey, IdempotencyKey, PageOf } from './api-docs';
export { Meters, MetersModule } from './meters';
export { uuidParam } from './uuid-param';
export { timeOrderedUuid } from './time-ordered-uuid';
export { TOKEN_KINDS, zeroUsage, addUsage, isCompleteUsage, type TokenKind, type Usage } from './usage';
export { storableText } from './stored-text';
export { TimeRangeQueryDto, dateRange } from './time-range-query.dto';
export { ApiCsvResponse, csvFile } from './csv-response';
