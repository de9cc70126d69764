import { Injectable } from '@nestjs/common';
import { isConstraintViolation, queryPrepared, type Tx } from '@loomworks/database';
import { personColumns, personFromRow, type Person, type PersonSqlRow } from '@loomworks/persons';
import { PasskeyExistsError } from '../domain/errors';
import type { ChallengedRegistration, Registration, VerifiedRegistration } from '../domain/registration';

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

export interface CredentialRow {
  id: string;
  person_id: string;
  public_key: Buffer;
  counter: string;
  transports: string[];
}

export interface PasskeyRow {
  id: string;
  name: string;
  user_handle: Buffer;
  created_at: Date;
  last_used_at: Date | null;
}

export interface RecoveryTokenRow {
  id: string;
  person_id: string;
  expires_at: Date;
}

/** TypeORM answers UPDATE … RETURNING with [rows, count]; SELECT and INSERT with rows. */
const updatedRows = <T>(result: [T[], number]): T[] => result[0];

/** The auth tables' SQL. Single-use secrets are consumed by conditional UPDATEs, so two racers cannot both win. */
/** The session guard's read, run on every authenticated request (a prepared statement). */
const LIVE_SESSION_WITH_PERSON = `
  SELECT s.id AS session_id, ${personColumns('p')}
    FROM sessions s JOIN persons p ON p.id = s.person_id
   WHERE s.token_hash = $1 AND s.ended_at IS NULL AND s.expires_at > $2 AND p.account_status <> 'deleted'`;

@Injectable()
export class AuthRepository {
  /** Deletes registrations and login challenges that expired before `expiredBefore`, sessions that ended or expired before `endedBefore`. */
  async deleteExpired(tx: Tx, expiredBefore: Date, endedBefore: Date): Promise<{ registrations: number; loginChallenges: number; sessions: number }> {
    // TypeORM answers a DELETE with [rows, affected].
    const count = async (sql: string, params: unknown[]) => ((await tx.query(sql, params)) as [unknown[], number])[1];
    return {
      registrations: await count('DELETE FROM signup_registrations WHERE expires_at < $1', [expiredBefore]),
      loginChallenges: await count('DELETE FROM login_challenges WHERE expires_at < $1', [expiredBefore]),
      sessions: await count('DELETE FROM sessions WHERE expires_at < $1 OR ended_at < $1', [endedBefore]),
    };
  }

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

  /** Takes the registration's challenge: it can be checked against once, whatever the outcome. */
  /**
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

  // credentials and TOTP

  /** The passkey a registration verified (its passkey step), now the person's (signup and recovery). */
  async insertRegisteredCredential(tx: Tx, registration: VerifiedRegistration, personId: string, now: Date): Promise<void> {
    try {
      await tx.query(
        `INSERT INTO passkey_credentials (id, person_id, user_handle, public_key, counter, transports, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [
          registration.passkey.credentialId,
          personId,
          registration.userHandle,
          registration.passkey.publicKey,
          registration.passkey.counter,
          registration.passkey.transports,
          now,
        ],
      );
    } catch (error) {
      // The credential id comes from the client's authenticator: a duplicate is its input, not our fault.
      if (isConstraintViolation(error, 'unique', 'passkey_credentials_pkey')) throw new PasskeyExistsError();
      throw error;
    }
  }

  async credentialExists(tx: Tx, credentialId: string): Promise<boolean> {
    const rows: unknown[] = await tx.query('SELECT 1 FROM passkey_credentials WHERE id = $1', [credentialId]);
    return rows.length > 0;
  }

  /** Adds a passkey unless its credential id is already registered; false then. */
  async insertCredentialIfNew(
    tx: Tx,
    c: { id: string; personId: string; userHandle: Buffer; publicKey: Buffer; counter: string; transports: string[]; name: string; now: Date },
  ): Promise<boolean> {
    const rows: unknown[] = await tx.query(
      `INSERT INTO passkey_credentials (id, person_id, user_handle, public_key, counter, transports, name, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING RETURNING id`,
      [c.id, c.personId, c.userHandle, c.publicKey, c.counter, c.transports, c.name, c.now],
    );
    return rows.length === 1;
  }

  /** The person's passkeys, oldest first; `lock` holds them until the transaction ends. */
  async passkeysOf(tx: Tx, personId: string, lock = false): Promise<PasskeyRow[]> {
    return tx.query(
      `SELECT id, name, user_handle, created_at, last_used_at FROM passkey_credentials WHERE person_id = $1
        ORDER BY created_at, id ${lock ? 'FOR UPDATE' : ''}`,
      [personId],
    );
  }

  async renamePasskey(tx: Tx, personId: string, id: string, name: string): Promise<PasskeyRow | null> {
    const rows = updatedRows<PasskeyRow>(
      await tx.query(
        'UPDATE passkey_credentials SET name = $3 WHERE person_id = $1 AND id = $2 RETURNING id, name, user_handle, created_at, last_used_at',
        [personId, id, name],
      ),
    );
    return rows[0] ?? null;
  }

  async deletePasskey(tx: Tx, personId: string, id: string): Promise<void> {
    await tx.query('DELETE FROM passkey_credentials WHERE person_id = $1 AND id = $2', [personId, id]);
  }

  async credentialsOf(tx: Tx, personId: string): Promise<CredentialRow[]> {
    return tx.query('SELECT id, person_id, public_key, counter::text, transports FROM passkey_credentials WHERE person_id = $1', [personId]);
  }

  /**
   * The credential ids of the person owning the first credential id at or after `probe` (wrapping
   * around): a pseudo-random real person, found through the primary key's index.
   */
  async credentialIdsOfPersonNear(tx: Tx, probe: string): Promise<string[]> {
    const rows: { id: string }[] = await tx.query(
      `SELECT id FROM passkey_credentials WHERE person_id = COALESCE(
         (SELECT person_id FROM passkey_credentials WHERE id >= $1 ORDER BY id LIMIT 1),
         (SELECT person_id FROM passkey_credentials ORDER BY id LIMIT 1))`,
      [probe],
    );
    return rows.map((r) => r.id);
  }

  async credentialOf(tx: Tx, personId: string, credentialId: string): Promise<CredentialRow | null> {
    const rows: CredentialRow[] = await tx.query(
      'SELECT id, person_id, public_key, counter::text, transports FROM passkey_credentials WHERE person_id = $1 AND id = $2 FOR UPDATE',
      [personId, credentialId],
    );
    return rows[0] ?? null;
  }

  async updateCounter(tx: Tx, credentialId: string, counter: number, now: Date): Promise<void> {
    await tx.query('UPDATE passkey_credentials SET counter = $2, last_used_at = $3 WHERE id = $1', [credentialId, counter, now]);
  }

  async insertTotpSecret(tx: Tx, personId: string, secretEncrypted: string, lastTimeStep: number, now: Date): Promise<void> {
    await tx.query(
      'INSERT INTO totp_secrets (person_id, secret_encrypted, last_time_step, created_at) VALUES ($1, $2, $3, $4)',
      [personId, secretEncrypted, lastTimeStep, now],
    );
  }

  async totpSecret(tx: Tx, personId: string): Promise<{ secret_encrypted: string; last_time_step: string } | null> {
    const rows = await tx.query('SELECT secret_encrypted, last_time_step::text FROM totp_secrets WHERE person_id = $1 FOR UPDATE', [personId]);
    return rows[0] ?? null;
  }

  /** Records the time step of an accepted code; false if that step (or a later one) was already used. */
  async advanceTotpStep(tx: Tx, personId: string, timeStep: number): Promise<boolean> {
    const rows = updatedRows(
      await tx.query(
        'UPDATE totp_secrets SET last_time_step = $2 WHERE person_id = $1 AND last_time_step < $2 RETURNING person_id',
        [personId, timeStep],
      ),
    );
    return rows.length === 1;
  }

  // recovery

  /** Revokes the person's unused links and stores a new one's hash. */
  async replaceRecoveryToken(tx: Tx, r: { id: string; personId: string; hash: Buffer; issuedBy: string; expiresAt: Date; now: Date }): Promise<void> {
    await tx.query('UPDATE recovery_tokens SET revoked_at = $2 WHERE person_id = $1 AND used_at IS NULL AND revoked_at IS NULL', [r.personId, r.now]);
    await tx.query(
      'INSERT INTO recovery_tokens (id, person_id, token_hash, issued_by, expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6)',
      [r.id, r.personId, r.hash, r.issuedBy, r.expiresAt, r.now],
    );
  }

  /** The unused, unrevoked link with this hash (expired or not), locked when `lock`. */
  async openRecoveryToken(tx: Tx, hash: Buffer, lock = false): Promise<RecoveryTokenRow | null> {
    const rows: RecoveryTokenRow[] = await tx.query(
      `SELECT id, person_id, expires_at FROM recovery_tokens WHERE token_hash = $1 AND used_at IS NULL AND revoked_at IS NULL ${lock ? 'FOR UPDATE' : ''}`,
      [hash],
    );
    return rows[0] ?? null;
  }

  async useRecoveryToken(tx: Tx, id: string, now: Date): Promise<void> {
    await tx.query('UPDATE recovery_tokens SET used_at = $2 WHERE id = $1', [id, now]);
  }

  async deletePasskeysOf(tx: Tx, personId: string): Promise<void> {
    await tx.query('DELETE FROM passkey_credentials WHERE person_id = $1', [personId]);
  }

  async replaceTotpSecret(tx: Tx, personId: string, secretEncrypted: string, lastTimeStep: number, now: Date): Promise<void> {
    await tx.query(
      `INSERT INTO totp_secrets (person_id, secret_encrypted, last_time_step, created_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (person_id) DO UPDATE SET secret_encrypted = EXCLUDED.secret_encrypted, last_time_step = EXCLUDED.last_time_step, created_at = EXCLUDED.created_at`,
      [personId, secretEncrypted, lastTimeStep, now],
    );
  }

  // login challenges

  async insertLoginChallenge(tx: Tx, id: string, email: string, challenge: string, expiresAt: Date, now: Date): Promise<void> {
    await tx.query(
      'INSERT INTO login_challenges (id, email, challenge, expires_at, created_at) VALUES ($1, $2, $3, $4, $5)',
      [id, email, challenge, expiresAt, now],
    );
  }

  /** Consumes the challenge (single use, whatever the outcome of the login). */
  async takeLoginChallenge(tx: Tx, id: string, now: Date): Promise<{ email: string; challenge: string } | null> {
    const rows = updatedRows<{ email: string; challenge: string }>(
      await tx.query(
        `UPDATE login_challenges SET used_at = $2 WHERE id = $1 AND used_at IS NULL AND expires_at > $2 RETURNING email, challenge`,
        [id, now],
      ),
    );
    return rows[0] ?? null;
  }

  // sessions

  async insertSession(tx: Tx, s: { id: string; hash: Buffer; personId: string; expiresAt: Date; now: Date }): Promise<void> {
    await tx.query(
      'INSERT INTO sessions (id, token_hash, person_id, expires_at, created_at) VALUES ($1, $2, $3, $4, $5)',
      [s.id, s.hash, s.personId, s.expiresAt, s.now],
    );
  }

  /** A live session and its person (not deleted), in one query: every authenticated request runs it. */
  async liveSessionWithPerson(tx: Tx, hash: Buffer, now: Date): Promise<{ sessionId: string; person: Person } | null> {
    const rows = await queryPrepared<PersonSqlRow & { session_id: string }>(tx, 'auth_live_session_person', LIVE_SESSION_WITH_PERSON, [hash, now]);
    return rows[0] ? { sessionId: rows[0].session_id, person: personFromRow(rows[0]) } : null;
  }

  async endSession(tx: Tx, id: string, now: Date): Promise<void> {
    await tx.query('UPDATE sessions SET ended_at = $2 WHERE id = $1 AND ended_at IS NULL', [id, now]);
  }

  async endAllSessions(tx: Tx, personId: string, now: Date): Promise<number> {
    const rows = updatedRows(
      await tx.query('UPDATE sessions SET ended_at = $2 WHERE person_id = $1 AND ended_at IS NULL RETURNING id', [personId, now]),
    );
    return rows.length;
  }
}
