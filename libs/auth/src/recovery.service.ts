import { randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/server';
import { CLOCK, emailHint, type Clock } from '@loomworks/common';
import { APP_CONFIG, type AppConfig } from '@loomworks/config';
import { Transactions, type Tx } from '@loomworks/database';
import { Outbox, type MailStatus } from '@loomworks/outbox';
import { InvalidAccountTransitionError, PersonsService, type Person } from '@loomworks/persons';
import { RecoveryExpiredError, RecoveryNotFoundError } from './domain/errors';
import { newOpaqueToken, RECOVERY_TTL_MS, REGISTRATION_TTL_MS, tokenHash } from './domain/secrets';
import type { VerifiedRegistration } from './domain/registration';
import { CredentialsRepository } from './persistence/credentials.repository';
import { RecoveryRepository } from './persistence/recovery.repository';
import { RegistrationsRepository } from './persistence/registrations.repository';
import { SessionsService } from './sessions.service';
import { WebAuthnService } from './webauthn.service';

export interface IssuedRecovery {
  recoveryUrl: string;
  expiresAt: Date;
  mail: MailStatus;
}

export interface StartedRecovery {
  recoveryToken: string;
  registrationId: string;
  emailHint: string;
  expiresAt: Date;
  options: PublicKeyCredentialCreationOptionsJSON;
}

/**
 * Account recovery for a person who lost their passkeys or authenticator: staff issue a one-time
 * link (mailed to the person); following it runs the signup steps, and completing them replaces
 * every passkey and the TOTP secret and ends every session, in one transaction.
 */
@Injectable()
export class RecoveryService {
  constructor(
    private readonly transactions: Transactions,
    private readonly recoveryTokens: RecoveryRepository,
    private readonly registrations: RegistrationsRepository,
    private readonly credentials: CredentialsRepository,
    private readonly persons: PersonsService,
    private readonly sessions: SessionsService,
    private readonly webauthn: WebAuthnService,
    private readonly outbox: Outbox,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** A new link in the caller's transaction (beside its audit entry); the person's earlier unused link dies. */
  async issue(tx: Tx, command: { personId: string; issuedBy: string; sendEmail?: boolean }): Promise<IssuedRecovery> {
    const person = await this.persons.lockById(tx, command.personId);
    if (person.accountStatus === 'deleted') throw new InvalidAccountTransitionError('deleted', 'active');
    const now = this.clock.now();
    const token = newOpaqueToken();
    const expiresAt = new Date(now.getTime() + RECOVERY_TTL_MS);
    await this.recoveryTokens.replaceRecoveryToken(tx, { id: randomUUID(), personId: person.id, hash: tokenHash(token), issuedBy: command.issuedBy, expiresAt, now });
    const recoveryUrl = `${this.config.publicOrigin}/recover?token=${encodeURIComponent(token)}`;
    const mail: MailStatus =
      command.sendEmail === false
        ? { status: 'off' }
        : await this.outbox.enqueueMail(tx, { template: 'recovery_link', to: person.email, params: { recoveryUrl, expiresAt: expiresAt.toISOString() } });
    return { recoveryUrl, expiresAt, mail };
  }

  /** POST /auth/recovery/begin: a registration bound to the link (the link itself is spent only on completion). */
  async begin(recoveryToken: string): Promise<StartedRecovery> {
    const now = this.clock.now();
    const token = await this.recoveryTokens.openRecoveryToken(this.transactions.manager, tokenHash(recoveryToken));
    if (!token) throw new RecoveryNotFoundError();
    if (token.expiresAt <= now) throw new RecoveryExpiredError();
    const person = await this.persons.findById(token.personId);
    if (!person || person.accountStatus === 'deleted') throw new RecoveryNotFoundError();

    const registrationId = randomUUID();
    const userHandle = randomBytes(32);
    const options = await this.webauthn.registrationOptions({ email: person.email, displayName: person.displayName, userHandle });
    await this.registrations.insertRegistration(this.transactions.manager, {
      id: registrationId,
      email: person.email,
      displayName: person.displayName,
      userHandle,
      challenge: options.challenge,
      adminTokenId: null,
      expiresAt: new Date(Math.min(now.getTime() + REGISTRATION_TTL_MS, token.expiresAt.getTime())),
      now,
      recoveryId: token.id,
    });
    return { recoveryToken, registrationId, emailHint: emailHint(person.email), expiresAt: token.expiresAt, options };
  }

  /**
   * The recovery's last step, inside the signup's transaction (the TOTP code already checked):
   * the link is locked and spent, every old passkey and the old TOTP secret give way to the new
   * ones, and every session ends.
   */
  async complete(tx: Tx, registration: VerifiedRegistration, recoveryToken: string | undefined, timeStep: number, now: Date): Promise<Person> {
    const token = recoveryToken === undefined ? null : await this.recoveryTokens.openRecoveryToken(tx, tokenHash(recoveryToken), true);
    if (!token || token.id !== registration.recoveryId) throw new RecoveryNotFoundError();
    if (token.expiresAt <= now) throw new RecoveryExpiredError();
    const person = await this.persons.lockById(tx, token.personId);
    if (person.accountStatus === 'deleted') throw new RecoveryNotFoundError();

    await this.credentials.deletePasskeysOf(tx, person.id);
    await this.credentials.insertRegisteredCredential(tx, registration, person.id, now);
    await this.credentials.replaceTotpSecret(tx, person.id, registration.totpSecretEncrypted, timeStep, now);
    await this.sessions.endAll(tx, person.id);
    await this.recoveryTokens.useRecoveryToken(tx, token.id, now);
    return person;
  }
}
