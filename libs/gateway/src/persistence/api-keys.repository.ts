import { Injectable } from '@nestjs/common';
import { Transactions, type Tx } from '@loomworks/database';
import type { ApiKey, LimitPeriod } from '../domain/api-key';

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
  /** The digest of the live (unrevoked) key with this digest, as stored; null when there is none. */
  async liveDigest(sha256: Buffer): Promise<Buffer | null> {
    const rows: { key_sha256: Buffer }[] = await this.transactions.manager.query('SELECT key_sha256 FROM api_keys WHERE key_sha256 = $1 AND revoked_at IS NULL', [sha256]);
    return rows[0]?.key_sha256 ?? null;
  }

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
}
