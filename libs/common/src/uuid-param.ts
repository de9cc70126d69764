import { ParseUUIDPipe } from '@nestjs/common';
import { ValidationFailedError } from './domain-error';

/** A path parameter that must be a UUID: anything else is a 400 validation_failed naming the field. */
export const uuidParam = (field: string): ParseUUIDPipe =>
  new ParseUUIDPipe({ exceptionFactory: () => new ValidationFailedError([{ field, message: `${field} must be a UUID` }]) });
