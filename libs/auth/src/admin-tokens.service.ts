import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, type Clock } from '@loomworks/common';
import { Transactions } from '@loomworks/database';
import { ADMIN_TOKEN_TTL_MS, newOpaqueToken, tokenHash } from './domain/secrets';
import { RegistrationsRepository } from './persistence/registrations.repository';

/** One-time tokens that make the person signing up with them an admin (the first-admin command). */
@Injectable()
export class AdminTokensService {
  constructor(
    private readonly transactions: Transactions,
    private readonly registrations: RegistrationsRepository,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async create(): Promise<{ adminToken: string; expiresAt: Date }> {
    const now = this.clock.now();
    const adminToken = newOpaqueToken();
    const expiresAt = new Date(now.getTime() + ADMIN_TOKEN_TTL_MS);
    await this.registrations.insertAdminToken(this.transactions.manager, randomUUID(), tokenHash(adminToken), expiresAt, now);
    return { adminToken, expiresAt };
  }
}
