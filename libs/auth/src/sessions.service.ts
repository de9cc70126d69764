import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, type Clock } from '@loomworks/common';
import { Transactions, type Tx } from '@loomworks/database';
import type { Person } from '@loomworks/persons';
import { SystemConfigService } from '@loomworks/system-config';
import { newOpaqueToken, tokenHash } from './domain/secrets';
import { SessionsRepository } from './persistence/sessions.repository';

export interface NewSession {
  sessionToken: string;
  expiresAt: Date;
}

export interface CompletedLogin extends NewSession {
  person: Person;
}

export interface Authenticated {
  sessionId: string;
  person: Person;
}

/** Opaque bearer sessions: the token goes to the client once, its SHA-256 stays here. */
@Injectable()
export class SessionsService {
  constructor(
    private readonly transactions: Transactions,
    private readonly sessions: SessionsRepository,
    private readonly settings: SystemConfigService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async create(tx: Tx, personId: string): Promise<NewSession> {
    const now = this.clock.now();
    const ttlHours = await this.settings.require('session_ttl_hours', tx);
    const sessionToken = newOpaqueToken();
    const expiresAt = new Date(now.getTime() + ttlHours * 3_600_000);
    await this.sessions.insertSession(tx, { id: randomUUID(), hash: tokenHash(sessionToken), personId, expiresAt, now });
    return { sessionToken, expiresAt };
  }

  /** The live session's person; null for unknown, expired or ended sessions and deleted persons. */
  async authenticate(sessionToken: string): Promise<Authenticated | null> {
    return this.sessions.liveSessionWithPerson(this.transactions.manager, tokenHash(sessionToken), this.clock.now());
  }

  async end(sessionId: string): Promise<void> {
    await this.sessions.endSession(this.transactions.manager, sessionId, this.clock.now());
  }

  /** Ends every session of the person, in the caller's transaction (account deletion). */
  endAll(tx: Tx, personId: string): Promise<number> {
    return this.sessions.endAllSessions(tx, personId, this.clock.now());
  }
}
