import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, ForbiddenError, type Clock } from '@loomworks/common';
import { CREDIT_SEAM, shownPeriod, type CreditSeam } from '@loomworks/credit';
import { Transactions, type Tx } from '@loomworks/database';
import { PersonsService } from '@loomworks/persons';
import { apiKeySha256, generateApiKey, isApiKeyShaped, sameDigest, type ApiKey, type ApiKeyCaller, type Limit } from './domain/api-key';
import { ApiKeyNotFoundError } from './domain/errors';
import { ApiKeysRepository } from './persistence/api-keys.repository';
import { apiKeyView, type ApiKeyViewSchema } from './views';

export interface CreateApiKeyCommand {
  personId: string;
  name: string;
  engagementId?: string;
  limit?: Limit;
}

/** last_used_at is kept to the minute: a busy key writes its row at most once a minute, not per request. */
const LAST_USE_RESOLUTION_MS = 60_000;

/** Persons' API keys: created (the key answered once), listed, revoked, and checked on every Messages API request. */
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

  /**
   * The caller behind a presented key, or null (unknown, revoked, malformed). The person's account
   * status comes along: the caller refuses suspended and deleted persons.
   */
  async authenticate(presented: string): Promise<ApiKeyCaller | null> {
    if (!isApiKeyShaped(presented)) return null;
    const sha256 = apiKeySha256(presented);
    const match = await this.keys.findLive(sha256);
    // The index found the row by digest; the digests are still compared in constant time here.
    if (!match || !sameDigest(match.sha256, sha256)) return null;
    const now = this.clock.now();
    if (!match.lastUsedAt || now.getTime() - match.lastUsedAt.getTime() >= LAST_USE_RESOLUTION_MS) await this.keys.touch(match.caller.apiKeyId, now);
    return match.caller;
  }
}
