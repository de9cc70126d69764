import { Injectable } from '@nestjs/common';
import type { Tx } from '@loomworks/database';
import type { GrantKind, GrantStatus, StoredGrant } from '../domain/grant';

interface GrantRow {
  id: string;
  asset: string;
  kind: GrantKind;
  amount: string;
  recipient_email: string;
  email_hash: string;
  normalized_hash: string;
  token_hash: Buffer;
  status: 'issued' | 'claimed' | 'revoked';
  expires_at: Date;
  issued_by: string | null;
  referrer_person_id: string | null;
  claimed_by_person_id: string | null;
  claimed_at: Date | null;
  metadata: Record<string, unknown>;
  created_at: Date;
}

const toStoredGrant = (row: GrantRow): StoredGrant => ({
  id: row.id,
  asset: row.asset,
  kind: row.kind,
  amount: BigInt(row.amount),
  recipientEmail: row.recipient_email,
  storedStatus: row.status,
  tokenHash: row.token_hash,
  emailHash: row.email_hash,
  expiresAt: row.expires_at,
  issuedBy: row.issued_by,
  referrerPersonId: row.referrer_person_id,
  claimedByPersonId: row.claimed_by_person_id,
  claimedAt: row.claimed_at,
  createdAt: row.created_at,
  metadata: row.metadata,
});

/** TypeORM answers an UPDATE … RETURNING with [rows, affected]; a SELECT or INSERT with rows. */
function updatedRow(result: [GrantRow[], number]): StoredGrant {
  return toStoredGrant(result[0][0]);
}

const COLUMNS = `id, asset, kind, amount::text AS amount, recipient_email, email_hash, normalized_hash, token_hash, status,
  expires_at, issued_by, referrer_person_id, claimed_by_person_id, claimed_at, metadata, created_at`;

export interface NewGrantRow {
  id: string;
  asset: string;
  kind: GrantKind;
  amount: bigint;
  recipientEmail: string;
  emailHash: string;
  normalizedHash: string;
  tokenHash: Buffer;
  expiresAt: Date;
  issuedBy: string | null;
  referrerPersonId: string | null;
  metadata: Record<string, unknown>;
  createdAt: Date;
}

export interface GrantFilter {
  status?: GrantStatus;
  /** matches grants whose exact or normalized hash is one of these */
  emailHashes?: { exact: string; normalized: string };
  limit: number;
  after?: { createdAt: Date; id: string };
}

/** Grants and the email registry: explicit SQL, since claims lock rows and eligibility races. */
@Injectable()
export class GrantsRepository {
  async insert(tx: Tx, g: NewGrantRow): Promise<StoredGrant> {
    const [row]: GrantRow[] = await tx.query(
      `INSERT INTO credit.grants (id, asset, kind, amount, recipient_email, email_hash, normalized_hash, token_hash, status,
                                  expires_at, issued_by, referrer_person_id, metadata, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'issued', $9, $10, $11, $12, $13) RETURNING ${COLUMNS}`,
      [g.id, g.asset, g.kind, g.amount.toString(), g.recipientEmail, g.emailHash, g.normalizedHash, g.tokenHash,
        g.expiresAt, g.issuedBy, g.referrerPersonId, JSON.stringify(g.metadata), g.createdAt],
    );
    return toStoredGrant(row);
  }

  async byId(tx: Tx, id: string, forUpdate = false): Promise<StoredGrant | null> {
    const rows: GrantRow[] = await tx.query(
      `SELECT ${COLUMNS} FROM credit.grants WHERE id = $1 ${forUpdate ? 'FOR UPDATE' : ''}`,
      [id],
    );
    return rows[0] ? toStoredGrant(rows[0]) : null;
  }

  /** The grant holding this token hash, locked so concurrent claims of one token queue on it. */
  async byTokenHash(tx: Tx, tokenHash: Buffer, forUpdate: boolean): Promise<StoredGrant | null> {
    const rows: GrantRow[] = await tx.query(
      `SELECT ${COLUMNS} FROM credit.grants WHERE token_hash = $1 ${forUpdate ? 'FOR UPDATE' : ''}`,
      [tokenHash],
    );
    return rows[0] ? toStoredGrant(rows[0]) : null;
  }

  async markClaimed(tx: Tx, id: string, personId: string, at: Date): Promise<StoredGrant> {
    return updatedRow(await tx.query(
      `UPDATE credit.grants SET status = 'claimed', claimed_by_person_id = $2, claimed_at = $3 WHERE id = $1 RETURNING ${COLUMNS}`,
      [id, personId, at],
    ));
  }

  async markRevoked(tx: Tx, id: string, at: Date): Promise<StoredGrant> {
    return updatedRow(await tx.query(
      `UPDATE credit.grants SET status = 'revoked', revoked_at = $2 WHERE id = $1 RETURNING ${COLUMNS}`,
      [id, at],
    ));
  }

  async replaceToken(tx: Tx, id: string, tokenHash: Buffer, expiresAt: Date): Promise<StoredGrant> {
    return updatedRow(await tx.query(
      `UPDATE credit.grants SET token_hash = $2, expires_at = $3 WHERE id = $1 RETURNING ${COLUMNS}`,
      [id, tokenHash, expiresAt],
    ));
  }

  /** Grants that still count against an address: claimed, or issued and not yet expired. */
  async countsAgainst(tx: Tx, column: 'email_hash' | 'normalized_hash', hash: string, now: Date): Promise<boolean> {
    const rows = await tx.query(
      `SELECT 1 FROM credit.grants
        WHERE ${column} = $1 AND (status = 'claimed' OR (status = 'issued' AND expires_at > $2)) LIMIT 1`,
      [hash, now],
    );
    return rows.length > 0;
  }

  async list(tx: Tx, filter: GrantFilter, now: Date): Promise<StoredGrant[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const param = (value: unknown) => `$${params.push(value)}`;
    switch (filter.status) {
      case 'issued':
        where.push(`status = 'issued' AND expires_at > ${param(now)}`);
        break;
      case 'expired':
        where.push(`status = 'issued' AND expires_at <= ${param(now)}`);
        break;
      case 'claimed':
      case 'revoked':
        where.push(`status = ${param(filter.status)}`);
        break;
    }
    if (filter.emailHashes) {
      where.push(`(email_hash = ${param(filter.emailHashes.exact)} OR normalized_hash = ${param(filter.emailHashes.normalized)})`);
    }
    if (filter.after) {
      where.push(`(created_at, id) < (${param(filter.after.createdAt)}, ${param(filter.after.id)})`);
    }
    const rows: GrantRow[] = await tx.query(
      `SELECT ${COLUMNS} FROM credit.grants ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY created_at DESC, id DESC LIMIT ${param(filter.limit)}`,
      params,
    );
    return rows.map(toStoredGrant);
  }

  /** One registry row per exact hash; the latest grant to it recorded. */
  async registerGrant(tx: Tx, emailHash: string, normalizedHash: string, grantId: string, at: Date): Promise<void> {
    await tx.query(
      `INSERT INTO credit.email_grant_registry (email_hash, normalized_hash, last_grant_id, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $4)
       ON CONFLICT (email_hash) DO UPDATE SET last_grant_id = EXCLUDED.last_grant_id, updated_at = EXCLUDED.updated_at`,
      [emailHash, normalizedHash, grantId, at],
    );
  }

  /**
   * Links the address to its person; with `deletedAt`, the account was deleted and the cooling
   * window starts then.
   */
  async linkPerson(tx: Tx, emailHash: string, normalizedHash: string, personId: string, at: Date, deletedAt: Date | null = null): Promise<void> {
    await tx.query(
      `INSERT INTO credit.email_grant_registry (email_hash, normalized_hash, person_id, deleted_at, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $5)
       ON CONFLICT (email_hash) DO UPDATE
         SET person_id = EXCLUDED.person_id, deleted_at = EXCLUDED.deleted_at, updated_at = EXCLUDED.updated_at`,
      [emailHash, normalizedHash, personId, deletedAt, at],
    );
  }

  async coolingSince(tx: Tx, normalizedHash: string, since: Date): Promise<boolean> {
    const rows = await tx.query(
      'SELECT 1 FROM credit.email_grant_registry WHERE normalized_hash = $1 AND deleted_at > $2 LIMIT 1',
      [normalizedHash, since],
    );
    return rows.length > 0;
  }

  /** Persons linked to an address or a variant of it (claimers, deleted accounts). */
  async personIdsFor(tx: Tx, emailHash: string, normalizedHash: string): Promise<string[]> {
    const rows: { person_id: string }[] = await tx.query(
      `SELECT DISTINCT person_id FROM credit.email_grant_registry
        WHERE person_id IS NOT NULL AND (email_hash = $1 OR normalized_hash = $2)`,
      [emailHash, normalizedHash],
    );
    return rows.map((r) => r.person_id);
  }

  /** Serializes eligibility check + issue for one mailbox (all its variants) until commit. */
  async lockMailbox(tx: Tx, normalizedHash: string): Promise<void> {
    await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [normalizedHash]);
  }
}
