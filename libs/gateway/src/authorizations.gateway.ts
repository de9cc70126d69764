import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, type Clock } from '@loomworks/common';
import { authorizationStatusAt, CREDIT_SEAM, type Authorization, type CreditSeam } from '@loomworks/credit';
import { IdempotencyService } from '@loomworks/database';
import type { AuthorizationViewSchema } from './views';

export interface AuthorizeInput {
  personId?: string;
  engagementId?: string;
  amount: number;
  asset?: string;
  expiresInSeconds?: number;
  metadata?: Record<string, unknown>;
}

/**
 * The `/credit/authorizations` use cases: the seam's authorizations behind the Idempotency-Key
 * record (a retried authorize or capture answers the first result instead of holding twice).
 */
@Injectable()
export class AuthorizationsGateway {
  constructor(
    @Inject(CREDIT_SEAM) private readonly credit: CreditSeam,
    private readonly idempotency: IdempotencyService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  authorize(serviceKeyId: string, input: AuthorizeInput, key: string): Promise<AuthorizationViewSchema> {
    return this.idempotency.run(`credit.authorizations:${serviceKeyId}`, key, input, async (tx) =>
      this.view(
        await this.credit.authorize(
          {
            serviceKeyId,
            personId: input.personId,
            engagementId: input.engagementId,
            amount: BigInt(input.amount),
            asset: input.asset,
            expiresInSeconds: input.expiresInSeconds,
            metadata: input.metadata,
          },
          tx,
        ),
      ),
    );
  }

  capture(id: string, amount: number, key?: string): Promise<AuthorizationViewSchema> {
    return this.idempotency.run(`credit.authorizations.capture:${id}`, key, { amount }, async (tx) => this.view(await this.credit.captureAuthorization(id, BigInt(amount), tx)));
  }

  async void(id: string): Promise<AuthorizationViewSchema> {
    return this.view(await this.credit.voidAuthorization(id));
  }

  async get(id: string): Promise<AuthorizationViewSchema> {
    return this.view(await this.credit.getAuthorization(id));
  }

  private view(a: Authorization): AuthorizationViewSchema {
    return {
      id: a.id,
      personId: a.personId,
      engagementId: a.engagementId,
      asset: a.asset,
      amount: Number(a.amount),
      captured: a.captured === null ? null : Number(a.captured),
      status: authorizationStatusAt(a, this.clock.now()),
      expiresAt: a.expiresAt.toISOString(),
      metadata: a.metadata,
      createdAt: a.createdAt.toISOString(),
    };
  }
}
