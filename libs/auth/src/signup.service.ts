import { randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { PublicKeyCredentialCreationOptionsJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { CLOCK, type Clock } from '@loomworks/common';
import { CREDIT_SEAM, emailHashes, emailHint, type ClaimResult, type CreditSeam } from '@loomworks/credit';
import { Transactions } from '@loomworks/database';
import { EmailTakenError, PersonsService, type Person } from '@loomworks/persons';
import { SecretBox } from '@loomworks/system-config';
import { InvalidAdminTokenError, InvalidTotpError, PasskeyVerificationFailedError, RegistrationNotFoundError } from './domain/errors';
import { REGISTRATION_TTL_MS, tokenHash } from './domain/secrets';
import { LoginThrottle } from './login-throttle';
import { AuthRepository } from './persistence/auth.repository';
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
}

export interface CompletedSignup extends NewSession {
  person: Person;
  credit?: ClaimResult;
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
    private readonly auth: AuthRepository,
    private readonly persons: PersonsService,
    private readonly sessions: SessionsService,
    private readonly webauthn: WebAuthnService,
    private readonly totp: TotpService,
    private readonly secrets: SecretBox,
    private readonly throttle: LoginThrottle,
    @Inject(CREDIT_SEAM) private readonly credit: CreditSeam,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async begin(command: BeginSignupCommand): Promise<StartedSignup> {
    const email = emailHashes(command.email).address;
    if (await this.persons.findLiveByEmail(email)) throw new EmailTakenError();
    const now = this.clock.now();
    let adminTokenId: string | null = null;
    if (command.adminToken !== undefined) {
      adminTokenId = await this.auth.usableAdminTokenId(this.transactions.manager, tokenHash(command.adminToken), now);
      if (!adminTokenId) throw new InvalidAdminTokenError();
    }
    const registrationId = randomUUID();
    const userHandle = randomBytes(32);
    const displayName = command.displayName.trim();
    const options = await this.webauthn.registrationOptions({ email, displayName, userHandle });
    const expiresAt = new Date(now.getTime() + REGISTRATION_TTL_MS);
    await this.auth.insertRegistration(this.transactions.manager, {
      id: registrationId, email, displayName, userHandle, challenge: options.challenge, adminTokenId, expiresAt, now,
    });
    return { registrationId, options, expiresAt };
  }

  /** POST /claim/grant: a signup bound to the grant's recipient address. */
  async beginForClaim(claimToken: string) {
    const grant = await this.credit.previewGrant(claimToken);
    const started = await this.begin({ email: grant.recipientEmail, displayName: grant.recipientEmail.split('@')[0] });
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
    // The challenge is taken (committed) before verifying: one attempt per challenge, pass or fail.
    const registration = await this.transactions.run((tx) => this.auth.takeRegistrationChallenge(tx, registrationId, this.clock.now()));
    if (!registration) throw new RegistrationNotFoundError();
    const passkey = await this.webauthn.verifyRegistration(credential, registration.challenge!);
    if (!passkey) throw new PasskeyVerificationFailedError();
    const secret = this.totp.newSecret();
    await this.auth.savePasskey(this.transactions.manager, registrationId, { ...passkey, totpSecretEncrypted: this.secrets.encrypt(secret) });
    const otpauthUrl = this.totp.otpauthUrl(secret, registration.email);
    return { registrationId, totp: { secret, otpauthUrl, qrSvg: await this.totp.qrSvg(otpauthUrl) } };
  }

  /** `address` is the client's, for throttling wrong codes per registration and per address. */
  async verifyTotp(registrationId: string, code: string, address: string, claimToken?: string): Promise<CompletedSignup> {
    await this.throttle.assertAllowed(`signup:${registrationId}`, address);
    return this.transactions.run(async (tx) => {
      const now = this.clock.now();
      // Locked: of two parallel completions of one registration, the second finds it completed.
      const registration = await this.auth.lockOpenRegistration(tx, registrationId, now);
      if (!registration) throw new RegistrationNotFoundError();
      const timeStep = await this.totp.verify(this.secrets.decrypt(registration.totp_secret_encrypted!), code);
      if (timeStep === null) {
        await this.throttle.recordFailure(`signup:${registrationId}`, address);
        throw new InvalidTotpError();
      }

      const role = registration.admin_token_id ? 'admin' : 'member';
      const person = await this.persons.createPerson(tx, { email: registration.email, displayName: registration.display_name, role });
      if (registration.admin_token_id && !(await this.auth.useAdminToken(tx, registration.admin_token_id, person.id, now))) {
        throw new InvalidAdminTokenError();
      }
      await this.auth.insertCredential(tx, {
        id: registration.credential_id!,
        personId: person.id,
        userHandle: registration.user_handle,
        publicKey: registration.credential_public_key!,
        counter: registration.credential_counter!,
        transports: registration.credential_transports ?? [],
        now,
      });
      // The step used here is spent: the same code cannot also sign in.
      await this.auth.insertTotpSecret(tx, person.id, registration.totp_secret_encrypted!, timeStep, now);
      const credit = claimToken === undefined ? undefined : await this.credit.claimGrant({ claimToken, personId: person.id, email: registration.email }, tx);
      const session = await this.sessions.create(tx, person.id);
      await this.auth.completeRegistration(tx, registrationId, now);
      return { person, ...session, credit };
    });
  }
}
