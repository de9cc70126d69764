import * as credit from '@loomworks/credit';
import * as gateway from '@loomworks/gateway';
import * as persons from '@loomworks/persons';
import * as systemConfig from '@loomworks/system-config';
import { DomainError, InvalidEmailError, ValidationFailedError } from '@loomworks/common';
import { ERROR_STATUS } from './error-status';

/** Every typed error a library exports must have its HTTP status in the one table (else it would be a 500). */
describe('ERROR_STATUS', () => {
  const exported = [{ InvalidEmailError }, credit, persons, systemConfig, gateway].flatMap((lib) =>
    Object.values(lib).filter((v): v is new (...args: never[]) => DomainError => typeof v === 'function' && v.prototype instanceof DomainError),
  ).filter((E) => (E as unknown) !== credit.CreditError); // the abstract base has no code

  it.each(exported.map((E) => [E.name, E] as const))('maps %s', (_, E) => {
    // Dates serve every constructor: those that take text interpolate them, LimitReachedError reads them as instants.
    const error = new (E as unknown as new (...args: unknown[]) => DomainError)(new Date(0), new Date(0));
    expect(ERROR_STATUS[error.code]).toEqual(expect.any(Number));
  });

  it('finds the errors it checks', () => {
    expect(exported.length).toBeGreaterThanOrEqual(15);
  });

  it.each([
    ['grant_not_found', 404],
    ['grant_already_claimed', 409],
    ['grant_expired', 410],
    ['grant_revoked', 410],
    ['grant_email_mismatch', 403],
    ['ineligible_email', 409],
    ['invalid_account_transition', 409],
    ['email_taken', 409],
    [new ValidationFailedError([]).code, 400],
  ])('answers %s with %i as API.md says', (code, status) => {
    expect(ERROR_STATUS[code]).toBe(status);
  });
});
