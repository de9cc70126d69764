import { Injectable } from '@nestjs/common';
import type { Tx } from '@loomworks/database';
import type { RecoveryToken } from '../domain/credentials';

interface RecoveryTokenRow {
  id: string;
  person_id: string;
  expires_at: Date;
}

const toRecoveryToken = (r: RecoveryTokenRow): RecoveryToken => ({ id: r.id, personId: r.person_id, expiresAt: r.expires_at });

/** Staff-issued recovery links (only their tokens' hashes are stored). */
@Injectable()
export class RecoveryRepository {
  /** Revokes the person's unused links and stores a new one's hash. */
  async replaceRecoveryToken(tx: Tx, r: { id: string; personId: string; hash: Buffer; issuedBy: string; expiresAt: Date; now: Date }): Promise<void> {
    await tx.query('UPDATE recovery_tokens SET revoked_at = $2 WHERE person_id = $1 AND used_at IS NULL AND revoked_at IS NULL', [r.personId, r.now]);
    await tx.query(
      'INSERT INTO recovery_tokens (id, person_id, token_hash, issued_by, expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6)',
      [r.id, r.personId, r.hash, r.issuedBy, r.expiresAt, r.now],
    );
  }

  /** The unused, unrevoked link with this hash (expired or not), locked when `lock`. */
  async openRecoveryToken(tx: Tx, hash: Buffer, lock = false): Promise<RecoveryToken | null> {
    const rows: RecoveryTokenRow[] = await tx.query(
      `SELECT id, person_id, expires_at FROM recovery_tokens WHERE token_hash = $1 AND used_at IS NULL AND revoked_at IS NULL ${lock ? 'FOR UPDATE' : ''}`,
      [hash],
    );
    return rows[0] ? toRecoveryToken(rows[0]) : null;
  }

  async useRecoveryToken(tx: Tx, id: string, now: Date): Promise<void> {
    await tx.query('UPDATE recovery_tokens SET used_at = $2 WHERE id = $1', [id, now]);
  }
}
