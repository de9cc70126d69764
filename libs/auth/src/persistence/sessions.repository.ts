import { Injectable } from '@nestjs/common';
import { queryPrepared, type Tx } from '@loomworks/database';
import { personColumns, personFromRow, type Person, type PersonSqlRow } from '@loomworks/persons';
import type { LoginChallenge } from '../domain/credentials';
import { deletedCount, updatedRows } from './rows';

/** The session guard's read, run on every authenticated request (a prepared statement). */
const LIVE_SESSION_WITH_PERSON = `
  SELECT s.id AS session_id, ${personColumns('p')}
    FROM sessions s JOIN persons p ON p.id = s.person_id
   WHERE s.token_hash = $1 AND s.ended_at IS NULL AND s.expires_at > $2 AND p.account_status <> 'deleted'`;

/**
 * Sessions and the login challenges that lead to them. Single-use secrets are consumed by
 * conditional UPDATEs, so two racers cannot both win.
 */
@Injectable()
export class SessionsRepository {
  async insertLoginChallenge(tx: Tx, id: string, email: string, challenge: string, expiresAt: Date, now: Date): Promise<void> {
    await tx.query(
      'INSERT INTO login_challenges (id, email, challenge, expires_at, created_at) VALUES ($1, $2, $3, $4, $5)',
      [id, email, challenge, expiresAt, now],
    );
  }

  /** Consumes the challenge (single use, whatever the outcome of the login). */
  async takeLoginChallenge(tx: Tx, id: string, now: Date): Promise<LoginChallenge | null> {
    const rows = updatedRows<LoginChallenge>(
      await tx.query(
        `UPDATE login_challenges SET used_at = $2 WHERE id = $1 AND used_at IS NULL AND expires_at > $2 RETURNING email, challenge`,
        [id, now],
      ),
    );
    return rows[0] ?? null;
  }

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

  /** Deletes login challenges that expired before `expiredBefore`, sessions that ended or expired before `endedBefore`. */
  async deleteExpired(tx: Tx, expiredBefore: Date, endedBefore: Date): Promise<{ loginChallenges: number; sessions: number }> {
    return {
      loginChallenges: deletedCount(await tx.query('DELETE FROM login_challenges WHERE expires_at < $1', [expiredBefore])),
      sessions: deletedCount(await tx.query('DELETE FROM sessions WHERE expires_at < $1 OR ended_at < $1', [endedBefore])),
    };
  }
}
