import { Injectable } from '@nestjs/common';
import { queryPrepared, Transactions, type Tx } from '@loomworks/database';
import type { AccountStatus } from '@loomworks/persons';
import type { ApiKey, ApiKeyCaller, LimitPeriod } from '../domain/api-key';

interface ApiKeyRow {
  id: string;
  person_id: string;
  name: string;
  prefix: string;
  engagement_id: string | null;
  limit_amount: string | null;
  limit_period: LimitPeriod | null;
  created_at: Date;
  last_used_at: Date | null;
}

const COLUMNS = 'id, person_id, name, prefix, engagement_id, limit_amount::text AS limit_amount, limit_period, created_at, last_used_at';

const toApiKey = (r: ApiKeyRow): ApiKey => ({
  id: r.id,
  personId: r.person_id,
  name: r.name,
  prefix: r.prefix,
  engagementId: r.engagement_id,
  limit: r.limit_amount === null ? null : { amount: BigInt(r.limit_amount), period: r.limit_period! },
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
});

export interface KeyMatch {
  caller: ApiKeyCaller;
  sha256: Buffer;
  lastUsedAt: Date | null;
}

/** api_keys: only digests of keys, never a key. */
@Injectable()
export class ApiKeysRepository {
  constructor(private readonly transactions: Transactions) {}

  async insert(tx: Tx, key: ApiKey, sha256: Buffer): Promise<void> {
    await tx.query(
      `INSERT INTO api_keys (id, person_id, name, prefix, key_sha256, engagement_id, limit_amount, limit_period, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [key.id, key.personId, key.name, key.prefix, sha256, key.engagementId, key.limit?.amount.toString() ?? null, key.limit?.period ?? null, key.createdAt],
    );
  }

  /** The person's live (unrevoked) keys, newest first. */
  async liveOf(personId: string): Promise<ApiKey[]> {
    const rows: ApiKeyRow[] = await this.transactions.manager.query(
      `SELECT ${COLUMNS} FROM api_keys WHERE person_id = $1 AND revoked_at IS NULL ORDER BY created_at DESC, id`,
      [personId],
    );
    return rows.map(toApiKey);
  }

  /** Revokes a live key (of `personId` when given); null when there is none. */
  async revoke(tx: Tx, id: string, at: Date, personId: string | null): Promise<ApiKey | null> {
    // TypeORM answers UPDATE … RETURNING with [rows, count].
    const [rows]: [ApiKeyRow[], number] = await tx.query(
      `UPDATE api_keys SET revoked_at = $2
        WHERE id = $1 AND revoked_at IS NULL AND ($3::uuid IS NULL OR person_id = $3::uuid)
        RETURNING ${COLUMNS}`,
      [id, at, personId],
    );
    return rows[0] ? toApiKey(rows[0]) : null;
  }

  /**
   * The live key with this digest and its person's status: one indexed read on every Messages
   * API request, prepared (planned once per connection) like the session guard's.
   */
  async findLive(sha256: Buffer): Promise<KeyMatch | null> {
    const rows = await queryPrepared<{
      id: string; person_id: string; key_sha256: Buffer; engagement_id: string | null; limit_amount: string | null;
      limit_period: LimitPeriod | null; last_used_at: Date | null; account_status: AccountStatus;
    }>(
      this.transactions.manager,
      'gateway_api_key',
      `SELECT k.id, k.person_id, k.key_sha256, k.engagement_id, k.limit_amount::text AS limit_amount, k.limit_period, k.last_used_at, p.account_status
         FROM api_keys k JOIN persons p ON p.id = k.person_id
        WHERE k.key_sha256 = $1 AND k.revoked_at IS NULL`,
      [sha256],
    );
    const r = rows[0];
    if (!r) return null;
    return {
      sha256: r.key_sha256,
      lastUsedAt: r.last_used_at,
      caller: {
        apiKeyId: r.id,
        personId: r.person_id,
        engagementId: r.engagement_id,
        limit: r.limit_amount === null ? null : { amount: BigInt(r.limit_amount), period: r.limit_period! },
        accountStatus: r.account_status,
      },
    };
  }

  async touch(id: string, at: Date): Promise<void> {
    await this.transactions.manager.query('UPDATE api_keys SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2)', [id, at]);
  }
}
