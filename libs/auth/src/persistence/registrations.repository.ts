import { Injectable } from '@nestjs/common';
import type { Tx } from '@loomworks/database';
import type { ChallengedRegistration, Registration, VerifiedRegistration } from '../domain/registration';
import { deletedCount, updatedRows } from './rows';

interface RegistrationRow {
  id: string;
  email: string;
  display_name: string;
  user_handle: Buffer;
  challenge: string | null;
  admin_token_id: string | null;
  credential_id: string | null;
  credential_public_key: Buffer | null;
  credential_counter: string | null;
  credential_transports: string[] | null;
  totp_secret_encrypted: string | null;
  email_code_hash: Buffer | null;
  claim_token_hash: Buffer | null;
  adding_to_person_id: string | null;
  recovery_id: string | null;
  expires_at: Date;
  completed_at: Date | null;
}

function toRegistration(row: RegistrationRow): Registration {
  return {
    id: row.id,
    email: row.email,
    displayName: row.display_name,
    userHandle: row.user_handle,
    adminTokenId: row.admin_token_id,
    emailCodeHash: row.email_code_hash,
    claimTokenHash: row.claim_token_hash,
    addingToPersonId: row.adding_to_person_id,
    recoveryId: row.recovery_id,
    expiresAt: row.expires_at,
  };
}

/** A row found by its challenge (the query requires one). */
function toChallenged(row: RegistrationRow): ChallengedRegistration {
  if (row.challenge === null) throw new Error(`registration ${row.id} has no challenge`);
  return { ...toRegistration(row), challenge: row.challenge };
}

/** A row whose passkey step ran: savePasskey writes the credential and the TOTP secret together. */
function toVerified(row: RegistrationRow): VerifiedRegistration {
  const { credential_id, credential_public_key, credential_counter, totp_secret_encrypted } = row;
  if (credential_id === null || credential_public_key === null || credential_counter === null || totp_secret_encrypted === null) {
    throw new Error(`registration ${row.id} has no verified passkey`);
  }
  return {
    ...toRegistration(row),
    passkey: { credentialId: credential_id, publicKey: credential_public_key, counter: credential_counter, transports: row.credential_transports ?? [] },
    totpSecretEncrypted: totp_secret_encrypted,
  };
}

/**
 * Signup, recovery and added-passkey registrations, step by step, and the one-time admin signup
 * tokens a registration may carry. Single-use secrets are consumed by conditional UPDATEs, so two
 * racers cannot both win.
 */
@Injectable()
export class RegistrationsRepository {
  // admin signup tokens

  async insertAdminToken(tx: Tx, id: string, hash: Buffer, expiresAt: Date, now: Date): Promise<void> {
    await tx.query('INSERT INTO admin_signup_tokens (id, token_hash, expires_at, created_at) VALUES ($1, $2, $3, $4)', [id, hash, expiresAt, now]);
  }

  async usableAdminTokenId(tx: Tx, hash: Buffer, now: Date): Promise<string | null> {
    const rows: { id: string }[] = await tx.query(
      'SELECT id FROM admin_signup_tokens WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2',
      [hash, now],
    );
    return rows[0]?.id ?? null;
  }

  /** Marks the token used by `personId`; false when it was used (or expired) meanwhile. */
  async useAdminToken(tx: Tx, id: string, personId: string, now: Date): Promise<boolean> {
    const rows = updatedRows(
      await tx.query(
        `UPDATE admin_signup_tokens SET used_at = $3, used_by_person_id = $2
          WHERE id = $1 AND used_at IS NULL AND expires_at > $3 RETURNING id`,
        [id, personId, now],
      ),
    );
    return rows.length === 1;
  }

  // signup registrations

  async insertRegistration(
    tx: Tx,
    r: {
      id: string; email: string; displayName: string; userHandle: Buffer; challenge: string; adminTokenId: string | null; expiresAt: Date; now: Date;
      emailCodeHash?: Buffer | null; claimTokenHash?: Buffer | null; addingToPersonId?: string | null; recoveryId?: string | null;
    },
  ): Promise<void> {
    await tx.query(
      `INSERT INTO signup_registrations
         (id, email, display_name, user_handle, challenge, admin_token_id, expires_at, created_at, email_code_hash, adding_to_person_id, recovery_id, claim_token_hash)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [
        r.id, r.email, r.displayName, r.userHandle, r.challenge, r.adminTokenId, r.expiresAt, r.now,
        r.emailCodeHash ?? null, r.addingToPersonId ?? null, r.recoveryId ?? null, r.claimTokenHash ?? null,
      ],
    );
  }

  /**
   * Takes the registration's challenge: it can be checked against once, whatever the outcome.
   * `addingTo`: null for a signup, the person's id for a passkey added to their account; a
   * registration of one kind is never found by the steps of the other.
   */
  async takeRegistrationChallenge(tx: Tx, id: string, now: Date, addingTo: string | null = null): Promise<ChallengedRegistration | null> {
    const rows: RegistrationRow[] = await tx.query(
      `SELECT * FROM signup_registrations
        WHERE id = $1 AND challenge IS NOT NULL AND completed_at IS NULL AND expires_at > $2
          AND adding_to_person_id IS NOT DISTINCT FROM $3 FOR UPDATE`,
      [id, now, addingTo],
    );
    if (!rows[0]) return null;
    await tx.query('UPDATE signup_registrations SET challenge = NULL WHERE id = $1', [id]);
    return toChallenged(rows[0]);
  }

  async savePasskey(
    tx: Tx,
    id: string,
    c: { credentialId: string; publicKey: Buffer; counter: number; transports: string[]; totpSecretEncrypted: string },
  ): Promise<void> {
    await tx.query(
      `UPDATE signup_registrations
          SET credential_id = $2, credential_public_key = $3, credential_counter = $4, credential_transports = $5, totp_secret_encrypted = $6
        WHERE id = $1`,
      [id, c.credentialId, c.publicKey, c.counter, c.transports, c.totpSecretEncrypted],
    );
  }

  /** The registration ready for its TOTP step, locked until the caller's transaction ends. */
  async lockOpenRegistration(tx: Tx, id: string, now: Date): Promise<VerifiedRegistration | null> {
    const rows: RegistrationRow[] = await tx.query(
      `SELECT * FROM signup_registrations
        WHERE id = $1 AND completed_at IS NULL AND expires_at > $2 AND credential_id IS NOT NULL AND adding_to_person_id IS NULL FOR UPDATE`,
      [id, now],
    );
    return rows[0] ? toVerified(rows[0]) : null;
  }

  async completeRegistration(tx: Tx, id: string, now: Date): Promise<void> {
    await tx.query('UPDATE signup_registrations SET completed_at = $2, totp_secret_encrypted = NULL WHERE id = $1', [id, now]);
  }

  /** Deletes registrations that expired before `expiredBefore`. */
  async deleteExpired(tx: Tx, expiredBefore: Date): Promise<number> {
    return deletedCount(await tx.query('DELETE FROM signup_registrations WHERE expires_at < $1', [expiredBefore]));
  }
}
