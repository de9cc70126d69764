import { randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { PublicKeyCredentialCreationOptionsJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { CLOCK, emailHint, parseEmailAddress, type Clock } from '@loomworks/common';
import { APP_CONFIG, type AppConfig } from '@loomworks/config';
import { CREDIT_SEAM, GrantNotFoundError, type ClaimResult, type CreditSeam } from '@loomworks/credit';
import { Transactions } from '@loomworks/database';
import { EmailTakenError, PersonsService, type Person } from '@loomworks/persons';
import { Outbox } from '@loomworks/outbox';
import { SecretBox } from '@loomworks/system-config';
import { InvalidAdminTokenError, InvalidEmailCodeError, InvalidTotpError, PasskeyExistsError, RecoveryNotFoundError, PasskeyVerificationFailedError, RegistrationNotFoundError } from './domain/errors';
import { assertStorableCredential } from './domain/credential-bounds';
import { emailCodeHash, newEmailCode, REGISTRATION_TTL_MS, sameHash, tokenHash } from './domain/secrets';
import { LoginThrottle } from './login-throttle';
import { RecoveryService } from './recovery.service';
import { CredentialsRepository } from './persistence/credentials.repository';
import { RegistrationsRepository } from './persistence/registrations.repository';
import { SessionsService, type NewSession } from './sessions.service';
import { TotpService } from './totp.service';
import { WebAuthnService } from './webauthn.service';

export interface BeginSignupCommand {
  email: string;
  displayName: string;
  adminToken?: string;
}

export interface StartedSignup {
  registrationId: string;
  options: PublicKeyCredentialCreationOptionsJSON;
  expiresAt: Date;
  /** `sent`: a one-time code was mailed to the address and totp-verify needs it */
  emailVerification: 'sent' | 'not_required';
}

export interface VerifyTotpCommand {
  registrationId: string;
  code: string;
  /** the client's address, for throttling wrong codes per registration and per address */
  address: string;
  claimToken?: string;
  emailCode?: string;
  recoveryToken?: string;
}

export interface CompletedSignup extends NewSession {
  person: Person;
  credit?: ClaimResult;
  /** the signup recovered an existing account (its passkeys, TOTP secret and sessions replaced) */
  recovered: boolean;
}

/**
 * Signup: begin (challenge stored server-side) → passkey (attestation verified, TOTP secret issued)
 * → totp-verify (person, credential, TOTP secret, personal engagement, session — and with a claim
 * token the grant's claim — in one transaction).
 */
@Injectable()
export class SignupService {
  constructor(
    private readonly transactions: Transactions,
    private readonly registrations: RegistrationsRepository,
    private readonly credentials: CredentialsRepository,
    private readonly persons: PersonsService,
    private readonly sessions: SessionsService,
    private readonly webauthn: WebAuthnService,
    private readonly totp: TotpService,
    private readonly secrets: SecretBox,
    private readonly throttle: LoginThrottle,
    private readonly outbox: Outbox,
    private readonly recovery: RecoveryService,
    @Inject(CREDIT_SEAM) private readonly credit: CreditSeam,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * `claimToken`: the caller already proved the mailbox (a claim link was mailed to it); the
   * registration remembers the link and completes only with it, still valid. Otherwise, with mail
   * on and no admin token, a one-time code is mailed, queued in the registration's transaction,
   * and totp-verify requires it: nobody can take an address they can't read.
   */
  async begin(command: BeginSignupCommand, claimToken?: string): Promise<StartedSignup> {
    const email = parseEmailAddress(command.email).address;
    if (await this.persons.findLiveByEmail(email)) throw new EmailTakenError();
    const now = this.clock.now();
    let adminTokenId: string | null = null;
    if (command.adminToken !== undefined) {
      adminTokenId = await this.registrations.usableAdminTokenId(this.transactions.manager, tokenHash(command.adminToken), now);
      if (!adminTokenId) throw new InvalidAdminTokenError();
    }
    const registrationId = randomUUID();
    const userHandle = randomBytes(32);
    const displayName = command.displayName.trim();
    const options = await this.webauthn.registrationOptions({ email, displayName, userHandle });
    const expiresAt = new Date(now.getTime() + REGISTRATION_TTL_MS);
    const emailCode = claimToken === undefined && adminTokenId === null && this.outbox.mailEnabled ? newEmailCode() : null;
    // DESIGN (Mail abuse): begins can't be used to flood someone's mailbox with codes.
    if (emailCode !== null) await this.throttle.countCodeMail(email);
    await this.transactions.run(async (tx) => {
      await this.registrations.insertRegistration(tx, {
        id: registrationId, email, displayName, userHandle, challenge: options.challenge, adminTokenId, expiresAt, now,
        emailCodeHash: emailCode === null ? null : emailCodeHash(this.config.secretKey, registrationId, emailCode),
        claimTokenHash: claimToken === undefined ? null : tokenHash(claimToken),
      });
      if (emailCode !== null) {
        await this.outbox.enqueueMail(tx, { template: 'signup_code', to: email, params: { code: emailCode, expiresAt: expiresAt.toISOString() } });
      }
    });
    return { registrationId, options, expiresAt, emailVerification: emailCode === null ? 'not_required' : 'sent' };
  }

  /** POST /claim/grant: a signup bound to the grant's recipient address. */
  async beginForClaim(claimToken: string) {
    const grant = await this.credit.previewGrant(claimToken);
    // The claim token was mailed to the recipient: holding it proves the mailbox.
    const started = await this.begin({ email: grant.recipientEmail, displayName: grant.recipientEmail.split('@')[0] }, claimToken);
    return {
      claimToken,
      registrationId: started.registrationId,
      emailHint: emailHint(grant.recipientEmail),
      asset: grant.asset,
      amount: grant.amount,
      expiresAt: grant.expiresAt,
      options: started.options,
    };
  }

  async verifyPasskey(registrationId: string, credential: RegistrationResponseJSON): Promise<{ registrationId: string; totp: { secret: string; otpauthUrl: string; qrSvg: string } }> {
    assertStorableCredential(credential);
    // The challenge is taken (committed) before verifying: one attempt per challenge, pass or fail.
    const registration = await this.transactions.run((tx) => this.registrations.takeRegistrationChallenge(tx, registrationId, this.clock.now()));
    if (!registration) throw new RegistrationNotFoundError();
    const passkey = await this.webauthn.verifyRegistration(credential, registration.challenge);
    if (!passkey) throw new PasskeyVerificationFailedError();
    if (await this.credentials.credentialExists(this.transactions.manager, passkey.credentialId)) throw new PasskeyExistsError();
    const secret = this.totp.newSecret();
    await this.registrations.savePasskey(this.transactions.manager, registrationId, { ...passkey, totpSecretEncrypted: this.secrets.encrypt(secret) });
    const otpauthUrl = this.totp.otpauthUrl(secret, registration.email);
    return { registrationId, totp: { secret, otpauthUrl, qrSvg: await this.totp.qrSvg(otpauthUrl) } };
  }

  /**
   * `address` is the client's: wrong codes are throttled per client and per recipient address
   * (across all of that address's registrations, so starting more registrations buys no guesses).
   */
  verifyTotp(command: VerifyTotpCommand): Promise<CompletedSignup> {
    return this.throttle.guarded(command.address, [InvalidTotpError, InvalidEmailCodeError], () => this.completeSignup(command));
  }

  private completeSignup({ registrationId, code, claimToken, emailCode, recoveryToken }: VerifyTotpCommand): Promise<{ result: CompletedSignup; account: string }> {
    return this.transactions.run(async (tx) => {
      const now = this.clock.now();
      // Locked: of two parallel completions of one registration, the second finds it completed.
      const registration = await this.registrations.lockOpenRegistration(tx, registrationId, now);
      if (!registration) throw new RegistrationNotFoundError();
      // Its passkey verified in the previous step: the attempt counts against the recipient address
      // before any code is checked (its own connection: it stays counted when this transaction rolls back).
      const account = `signup:${registration.email}`;
      await this.throttle.takeAccountAttempt(account);
      if (registration.emailCodeHash && !this.emailCodeMatches(registration.emailCodeHash, registrationId, emailCode)) {
        // wrong codes count like wrong TOTP codes (the attempt was taken in verifyTotp)
        throw new InvalidEmailCodeError();
      }
      // Proven by a claim link: only that link completes it, and claimGrant below refuses it once
      // revoked, re-issued (its token no longer exists) or expired — a dead link ends the registration.
      if (registration.claimTokenHash && (claimToken === undefined || !sameHash(registration.claimTokenHash, tokenHash(claimToken)))) {
        throw new GrantNotFoundError();
      }
      const timeStep = await this.totp.verify(this.secrets.decrypt(registration.totpSecretEncrypted), code);
      if (timeStep === null) throw new InvalidTotpError();

      if (registration.recoveryId !== null) {
        const person = await this.recovery.complete(tx, registration, recoveryToken, timeStep, now);
        const session = await this.sessions.create(tx, person.id);
        await this.registrations.completeRegistration(tx, registrationId, now);
        return { result: { person, ...session, recovered: true }, account };
      }
      // a recovery token belongs to a recovery's own registration (POST /auth/recovery/begin)
      if (recoveryToken !== undefined) throw new RecoveryNotFoundError();

      const role = registration.adminTokenId ? 'admin' : 'member';
      const person = await this.persons.createPerson(tx, { email: registration.email, displayName: registration.displayName, role });
      if (registration.adminTokenId && !(await this.registrations.useAdminToken(tx, registration.adminTokenId, person.id, now))) {
        throw new InvalidAdminTokenError();
      }
      await this.credentials.insertRegisteredCredential(tx, registration, person.id, now);
      // The step used here is spent: the same code cannot also sign in.
      await this.credentials.insertTotpSecret(tx, person.id, registration.totpSecretEncrypted, timeStep, now);
      const credit = claimToken === undefined ? undefined : await this.credit.claimGrant({ claimToken, personId: person.id, email: registration.email }, tx);
      const session = await this.sessions.create(tx, person.id);
      await this.registrations.completeRegistration(tx, registrationId, now);
      return { result: { person, ...session, credit, recovered: false }, account };
    });
  }

  private emailCodeMatches(stored: Buffer, registrationId: string, emailCode: string | undefined): boolean {
    return emailCode !== undefined && sameHash(stored, emailCodeHash(this.config.secretKey, registrationId, emailCode.trim()));
  }
}
