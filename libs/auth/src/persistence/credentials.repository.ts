import { Injectable } from '@nestjs/common';
import { isConstraintViolation, type Tx } from '@loomworks/database';
import type { Passkey, StoredCredential, TotpSecret } from '../domain/credentials';
import { PasskeyExistsError } from '../domain/errors';
import type { VerifiedRegistration } from '../domain/registration';
import { updatedRows } from './rows';

interface CredentialRow {
  id: string;
  person_id: string;
  public_key: Buffer;
  counter: string;
  transports: string[];
}

interface PasskeyRow {
  id: string;
  name: string;
  user_handle: Buffer;
  created_at: Date;
  last_used_at: Date | null;
}

const CREDENTIAL_COLUMNS = 'id, person_id, public_key, counter::text, transports';
const PASSKEY_COLUMNS = 'id, name, user_handle, created_at, last_used_at';

const toCredential = (r: CredentialRow): StoredCredential => ({
  id: r.id,
  personId: r.person_id,
  publicKey: r.public_key,
  counter: r.counter,
  transports: r.transports,
});

const toPasskey = (r: PasskeyRow): Passkey => ({
  id: r.id,
  name: r.name,
  userHandle: r.user_handle,
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
});

/** A person's ways in: passkey credentials and the TOTP secret. */
@Injectable()
export class CredentialsRepository {
  // passkeys

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
  async passkeysOf(tx: Tx, personId: string, lock = false): Promise<Passkey[]> {
    const rows: PasskeyRow[] = await tx.query(
      `SELECT ${PASSKEY_COLUMNS} FROM passkey_credentials WHERE person_id = $1 ORDER BY created_at, id ${lock ? 'FOR UPDATE' : ''}`,
      [personId],
    );
    return rows.map(toPasskey);
  }

  async renamePasskey(tx: Tx, personId: string, id: string, name: string): Promise<Passkey | null> {
    const rows = updatedRows<PasskeyRow>(
      await tx.query(`UPDATE passkey_credentials SET name = $3 WHERE person_id = $1 AND id = $2 RETURNING ${PASSKEY_COLUMNS}`, [personId, id, name]),
    );
    return rows[0] ? toPasskey(rows[0]) : null;
  }

  async deletePasskey(tx: Tx, personId: string, id: string): Promise<void> {
    await tx.query('DELETE FROM passkey_credentials WHERE person_id = $1 AND id = $2', [personId, id]);
  }

  async deletePasskeysOf(tx: Tx, personId: string): Promise<void> {
    await tx.query('DELETE FROM passkey_credentials WHERE person_id = $1', [personId]);
  }

  async credentialsOf(tx: Tx, personId: string): Promise<StoredCredential[]> {
    const rows: CredentialRow[] = await tx.query(`SELECT ${CREDENTIAL_COLUMNS} FROM passkey_credentials WHERE person_id = $1`, [personId]);
    return rows.map(toCredential);
  }

  /** One credential of the person, locked until the transaction ends (its counter is about to move). */
  async credentialOf(tx: Tx, personId: string, credentialId: string): Promise<StoredCredential | null> {
    const rows: CredentialRow[] = await tx.query(
      `SELECT ${CREDENTIAL_COLUMNS} FROM passkey_credentials WHERE person_id = $1 AND id = $2 FOR UPDATE`,
      [personId, credentialId],
    );
    return rows[0] ? toCredential(rows[0]) : null;
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

  async updateCounter(tx: Tx, credentialId: string, counter: number, now: Date): Promise<void> {
    await tx.query('UPDATE passkey_credentials SET counter = $2, last_used_at = $3 WHERE id = $1', [credentialId, counter, now]);
  }

  // TOTP

  async insertTotpSecret(tx: Tx, personId: string, secretEncrypted: string, lastTimeStep: number, now: Date): Promise<void> {
    await tx.query(
      'INSERT INTO totp_secrets (person_id, secret_encrypted, last_time_step, created_at) VALUES ($1, $2, $3, $4)',
      [personId, secretEncrypted, lastTimeStep, now],
    );
  }

  async replaceTotpSecret(tx: Tx, personId: string, secretEncrypted: string, lastTimeStep: number, now: Date): Promise<void> {
    await tx.query(
      `INSERT INTO totp_secrets (person_id, secret_encrypted, last_time_step, created_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (person_id) DO UPDATE SET secret_encrypted = EXCLUDED.secret_encrypted, last_time_step = EXCLUDED.last_time_step, created_at = EXCLUDED.created_at`,
      [personId, secretEncrypted, lastTimeStep, now],
    );
  }

  /** The person's TOTP secret, locked until the transaction ends (a code is about to be spent). */
  async totpSecret(tx: Tx, personId: string): Promise<TotpSecret | null> {
    const rows: { secret_encrypted: string; last_time_step: string }[] = await tx.query(
      'SELECT secret_encrypted, last_time_step::text FROM totp_secrets WHERE person_id = $1 FOR UPDATE',
      [personId],
    );
    return rows[0] ? { secretEncrypted: rows[0].secret_encrypted, lastTimeStep: rows[0].last_time_step } : null;
  }

  /** Records the time step of an accepted code; false if that step (or a later one) was already used. */
  async advanceTotpStep(tx: Tx, personId: string, timeStep: number): Promise<boolean> {
    const rows = updatedRows(
      await tx.query('UPDATE totp_secrets SET last_time_step = $2 WHERE person_id = $1 AND last_time_step < $2 RETURNING person_id', [personId, timeStep]),
    );
    return rows.length === 1;
  }
}
