import { createHmac, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { AuthenticationResponseJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { CLOCK, type Clock } from '@loomworks/common';
import { APP_CONFIG, type AppConfig } from '@loomworks/config';
import { Transactions } from '@loomworks/database';
import { canonicalEmail, PersonsService } from '@loomworks/persons';
import { SecretBox } from '@loomworks/system-config';
import { AccountSuspendedError, LoginFailedError } from './domain/errors';
import { LOGIN_CHALLENGE_TTL_MS } from './domain/secrets';
import { LoginThrottle } from './login-throttle';
import { AuthRepository } from './persistence/auth.repository';
import { SessionsService, type CompletedLogin } from './sessions.service';
import { TotpService } from './totp.service';
import { WebAuthnService } from './webauthn.service';

export interface FinishLoginCommand {
  loginId: string;
  credential: AuthenticationResponseJSON;
  code: string;
  /** the client's address, for throttling */
  address: string;
}

/** Login: a passkey assertion (counter checked) plus a TOTP code, each accepted once. */
@Injectable()
export class LoginService {
  private readonly decoyKey: string;

  constructor(
    private readonly transactions: Transactions,
    private readonly auth: AuthRepository,
    private readonly persons: PersonsService,
    private readonly sessions: SessionsService,
    private readonly webauthn: WebAuthnService,
    private readonly totp: TotpService,
    private readonly secrets: SecretBox,
    private readonly throttle: LoginThrottle,
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.decoyKey = config.secretKey;
  }

  /**
   * Same answer shape for unknown addresses: they get a stable decoy credential id, so neither
   * the shape nor repeated calls tell whether an account exists.
   */
  async begin(rawEmail: string): Promise<{ loginId: string; options: PublicKeyCredentialRequestOptionsJSON }> {
    const email = canonicalEmail(rawEmail);
    const person = await this.persons.findLiveByEmail(email);
    const credentials = person ? await this.auth.credentialsOf(this.transactions.manager, person.id) : [];
    const ids = credentials.length > 0 ? credentials.map((c) => c.id) : [this.decoyCredentialId(email)];
    const options = await this.webauthn.authenticationOptions(ids);
    const now = this.clock.now();
    const loginId = randomUUID();
    await this.auth.insertLoginChallenge(this.transactions.manager, loginId, email, options.challenge, new Date(now.getTime() + LOGIN_CHALLENGE_TTL_MS), now);
    return { loginId, options };
  }

  async finish(command: FinishLoginCommand): Promise<CompletedLogin> {
    const email = await this.auth.loginChallengeEmail(this.transactions.manager, command.loginId);
    await this.throttle.assertAllowed(email, command.address);
    try {
      const result = await this.verify(command);
      await this.throttle.recordSuccess(email!);
      return result;
    } catch (error) {
      if (error instanceof LoginFailedError) await this.throttle.recordFailure(email, command.address);
      throw error;
    }
  }

  private async verify(command: FinishLoginCommand): Promise<CompletedLogin> {
    // Taken (and committed) first: a challenge answers one attempt, pass or fail.
    const challenge = await this.auth.takeLoginChallenge(this.transactions.manager, command.loginId, this.clock.now());
    if (!challenge) throw new LoginFailedError();
    return this.transactions.run(async (tx) => {
      const person = await this.persons.findLiveByEmail(challenge.email, tx);
      const credential = person && typeof command.credential?.id === 'string'
        ? await this.auth.credentialOf(tx, person.id, command.credential.id)
        : null;
      if (!person || !credential) throw new LoginFailedError();

      const newCounter = await this.webauthn.verifyAuthentication(command.credential, challenge.challenge, {
        id: credential.id,
        publicKey: credential.public_key,
        counter: Number(credential.counter),
        transports: credential.transports,
      });
      if (newCounter === null) throw new LoginFailedError();

      const totp = await this.auth.totpSecret(tx, person.id);
      const step = totp && (await this.totp.verify(this.secrets.decrypt(totp.secret_encrypted), command.code, Number(totp.last_time_step)));
      if (!step || !(await this.auth.advanceTotpStep(tx, person.id, step))) throw new LoginFailedError();

      // Only someone who proved the account learns that it is suspended.
      if (person.accountStatus === 'suspended') throw new AccountSuspendedError();
      await this.auth.updateCounter(tx, credential.id, newCounter, this.clock.now());
      return { person, ...(await this.sessions.create(tx, person.id)) };
    });
  }

  private decoyCredentialId(email: string): string {
    return createHmac('sha256', this.decoyKey).update(`login-decoy:${email}`).digest().subarray(0, 32).toString('base64url');
  }
}
