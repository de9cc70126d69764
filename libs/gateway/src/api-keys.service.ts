import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, ForbiddenError, type Clock } from '@loomworks/common';
import { CREDIT_SEAM, shownPeriod, type CreditSeam } from '@loomworks/credit';
import { Transactions, type Tx } from '@loomworks/database';
import { PersonsService } from '@loomworks/persons';
import { apiKeySha256, generateApiKey, sameDigest, type ApiKey, type Limit } from './domain/api-key';
import { ApiKeyNotFoundError } from './domain/errors';
import { ApiKeysRepository } from './persistence/api-keys.repository';
import { apiKeyView, type ApiKeyViewSchema } from './views';

export interface CreateApiKeyCommand {
  personId: string;
  name: string;
  engagementId?: string;
  limit?: Limit;
}

/** Persons' API keys: created (the key answered once), listed, revoked (checked on every Messages API request by RequestCredit). */
@Injectable()
export class ApiKeysService {
  constructor(
    private readonly keys: ApiKeysRepository,
    private readonly persons: PersonsService,
    private readonly transactions: Transactions,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CREDIT_SEAM) private readonly credit: CreditSeam,
  ) {}

  /** ApiKeyViews with what each key's calls were charged in the current period of its limit (the month when none). */
  async views(keys: ApiKey[]): Promise<ApiKeyViewSchema[]> {
    const spent = await this.credit.spentThisPeriod(keys.map((k) => ({ scope: { kind: 'apiKey', apiKeyId: k.id }, period: shownPeriod(k.limit) })));
    return keys.map((k, i) => apiKeyView(k, spent[i]));
  }

  /** A new key bound to the person (or to a team engagement they belong to); `key` is never shown again. */
  async create(command: CreateApiKeyCommand): Promise<{ apiKey: ApiKey; key: string }> {
    if (command.engagementId !== undefined && (await this.persons.membership(command.engagementId, command.personId)) === null) {
      throw new ForbiddenError('You are not a member of this engagement');
    }
    const { key, prefix, sha256 } = generateApiKey();
    const apiKey: ApiKey = {
      id: randomUUID(),
      personId: command.personId,
      name: command.name,
      prefix,
      engagementId: command.engagementId ?? null,
      limit: command.limit ?? null,
      createdAt: this.clock.now(),
      lastUsedAt: null,
    };
    await this.transactions.run((tx) => this.keys.insert(tx, apiKey, sha256));
    return { apiKey, key };
  }

  /** Whether `presented` is a live key (the digests compared in constant time): a read of its own, for requests refused before their hold is placed. */
  async isLive(presented: string): Promise<boolean> {
    const sha256 = apiKeySha256(presented);
    const stored = await this.keys.liveDigest(sha256);
    return stored !== null && sameDigest(stored, sha256);
  }

  listOf(personId: string): Promise<ApiKey[]> {
    return this.keys.liveOf(personId);
  }

  /** Revokes one of the person's own keys. */
  async revokeOwn(personId: string, id: string): Promise<void> {
    const revoked = await this.transactions.run((tx) => this.keys.revoke(tx, id, this.clock.now(), personId));
    if (!revoked) throw new ApiKeyNotFoundError();
  }

  /** Staff: revokes anyone's key, in the caller's transaction (the one writing the audit entry). */
  async revoke(tx: Tx, id: string): Promise<ApiKey> {
    const revoked = await this.keys.revoke(tx, id, this.clock.now(), null);
    if (!revoked) throw new ApiKeyNotFoundError();
    return revoked;
  }
}
