import { QueryFailedError } from 'typeorm';
import { EngagementNotFoundError, PersonNotFoundError } from '@loomworks/persons';
import { InvalidAmountError, LedgerKeyReusedError, MissingRateError } from '../domain/errors';

/** Maps the fixed messages the ledger's SQL functions raise (persistence/sql) to typed errors. */
export async function mapLedgerErrors<T>(query: Promise<T>, personId?: string): Promise<T> {
  try {
    return await query;
  } catch (error) {
    if (error instanceof QueryFailedError) {
      const { message, detail } = error.driverError as { message?: string; detail?: string };
      if (message === 'missing_rate') {
        const [model, kind] = (detail ?? '').split(' ');
        throw new MissingRateError(model, kind);
      }
      if (message === 'ledger_key_reused') throw new LedgerKeyReusedError(detail ?? '');
      if (message === 'person_not_found') throw new PersonNotFoundError(personId ?? '');
      if (message === 'engagement_not_found') throw new EngagementNotFoundError(detail ?? '');
      if (message === 'amount_out_of_range') throw new InvalidAmountError('a balance would leave ±(2^53−1)');
    }
    throw error;
  }
}
