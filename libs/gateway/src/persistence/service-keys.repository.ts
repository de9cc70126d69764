import { Injectable } from '@nestjs/common';
import { queryPrepared, Transactions, type Tx } from '@loomworks/database';
import { SERVICE_KEY_SCOPE, type ServiceKey } from '../domain/service-key';

interface ServiceKeyRow {
  id: string;
  name: string;
  prefix: string;
  created_by: string;
  created_at: Date;
  last_used_at: Date | null;
}

const COLUMNS = 'id, name, prefix, created_by, created_at, last_used_at';

const toServiceKey = (r: ServiceKeyRow): ServiceKey => ({
  id: r.id,
  name: r.name,
  prefix: r.prefix,
  createdBy: r.created_by,
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
});

/** service_keys: only digests of keys, never a key. */
@Injectable()
export class ServiceKeysRepository {
  constructor(private readonly transactions: Transactions) {}

  async insert(tx: Tx, key: ServiceKey, sha256: Buffer): Promise<void> {
    await tx.query(
      'INSERT INTO service_keys (id, name, prefix, key_sha256, scope, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)',
      [key.id, key.name, key.prefix, sha256, SERVICE_KEY_SCOPE, key.createdBy, key.createdAt],
    );
  }

  /** Live (unrevoked) keys, newest first. */
  async live(): Promise<ServiceKey[]> {
    const rows: ServiceKeyRow[] = await this.transactions.manager.query(
      `SELECT ${COLUMNS} FROM service_keys WHERE revoked_at IS NULL ORDER BY created_at DESC, id`,
    );
    return rows.map(toServiceKey);
  }

  async revoke(tx: Tx, id: string, at: Date): Promise<ServiceKey | null> {
    const [rows]: [ServiceKeyRow[], number] = await tx.query(
      `UPDATE service_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL RETURNING ${COLUMNS}`,
      [id, at],
    );
    return rows[0] ? toServiceKey(rows[0]) : null;
  }

  /** The live key with this digest: one indexed read per request, prepared like the API key's. */
  async findLive(sha256: Buffer): Promise<{ id: string; sha256: Buffer; lastUsedAt: Date | null } | null> {
    const rows = await queryPrepared<{ id: string; key_sha256: Buffer; last_used_at: Date | null }>(
      this.transactions.manager,
      'gateway_service_key',
      'SELECT id, key_sha256, last_used_at FROM service_keys WHERE key_sha256 = $1 AND revoked_at IS NULL',
      [sha256],
    );
    const r = rows[0];
    return r ? { id: r.id, sha256: r.key_sha256, lastUsedAt: r.last_used_at } : null;
  }

  async touch(id: string, at: Date): Promise<void> {
    await this.transactions.manager.query('UPDATE service_keys SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2)', [id, at]);
  }
}
