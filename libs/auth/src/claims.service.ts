import { Inject, Injectable } from '@nestjs/common';
import { CREDIT_SEAM, jsonAmount, type CreditSeam } from '@loomworks/credit';
import { IdempotencyService } from '@loomworks/database';
import type { Person } from '@loomworks/persons';
import type { ClaimResultSchema } from './views';

export interface ClaimForPersonCommand {
  person: Person;
  claimToken: string;
  /** the Idempotency-Key header: the same key with the same body answers the first claim */
  idempotencyKey?: string;
}

/** A signed-in person claims a grant addressed to their own email (POST /me/claims). */
@Injectable()
export class ClaimsService {
  constructor(
    private readonly idempotency: IdempotencyService,
    @Inject(CREDIT_SEAM) private readonly credit: CreditSeam,
  ) {}

  claimForPerson({ person, claimToken, idempotencyKey }: ClaimForPersonCommand): Promise<ClaimResultSchema> {
    return this.idempotency.run(`me.claims:${person.id}`, idempotencyKey, { claimToken }, async (tx) => {
      const result = await this.credit.claimGrant({ claimToken, personId: person.id, email: person.email }, tx);
      return { grantId: result.grantId, asset: result.asset, amount: jsonAmount(result.amount), balanceAfter: jsonAmount(result.balanceAfter) };
    });
  }
}
