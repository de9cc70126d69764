import { hkdfSync, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { AuthenticationResponseJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { canonicalEmail, CLOCK, type Clock } from '@loomworks/common';
import { APP_CONFIG, type AppConfig } from '@loomworks/config';
import { Transactions } from '@loomworks/database';
import { PersonsService } from '@loomworks/persons';
import { SecretBox } from '@loomworks/system-config';
import { AccountSuspendedError, LoginFailedError } from './domain/errors';
import { isCredentialId } from './domain/credential-bounds';
import { LOGIN_CHALLENGE_TTL_MS } from './domain/secrets';
import { LoginThrottle } from './login-throttle';
import { CredentialsRepository } from './persistence/credentials.repository';
import { SessionsRepository } from './persistence/sessions.repository';
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

/** Used for decoys only before anyone has a passkey (nothing to resemble then). */
const DEFAULT_CREDENTIAL_ID_BYTES = 32;

/** Login: a passkey assertion (counter checked) plus a TOTP code, each accepted once. */
@Injectable()
export class LoginService {
  private readonly decoyKey: string;

  constructor(
    private readonly transactions: Transactions,
    private readonly credentials: CredentialsRepository,
    private readonly challenges: SessionsRepository,
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
    const stored = person ? await this.credentials.credentialsOf(this.transactions.manager, person.id) : [];
    const ids = stored.length > 0 ? stored.map((c) => c.id) : await this.decoyCredentialIds(email);
    const options = await this.webauthn.authenticationOptions(ids);
    const now = this.clock.now();
    const loginId = randomUUID();
    await this.challenges.insertLoginChallenge(this.transactions.manager, loginId, email, options.challenge, new Date(now.getTime() + LOGIN_CHALLENGE_TTL_MS), now);
    return { loginId, options };
  }

  async finish(command: FinishLoginCommand): Promise<CompletedLogin> {
    return this.throttle.guarded(command.address, [LoginFailedError], () => this.verify(command));
  }

  private async verify(command: FinishLoginCommand): Promise<{ result: CompletedLogin; account: string }> {
    // Taken (and committed) first: a challenge answers one attempt, pass or fail.
    const challenge = await this.challenges.takeLoginChallenge(this.transactions.manager, command.loginId, this.clock.now());
    if (!challenge) throw new LoginFailedError();
    return this.transactions.run(async (tx) => {
      const person = await this.persons.findLiveByEmail(challenge.email, tx);
      const credential = person && isCredentialId(command.credential?.id)
        ? await this.credentials.credentialOf(tx, person.id, command.credential.id)
        : null;
      if (!person || !credential) throw new LoginFailedError();

      const newCounter = await this.webauthn.verifyAuthentication(command.credential, challenge.challenge, {
        id: credential.id,
        publicKey: credential.publicKey,
        counter: Number(credential.counter),
        transports: credential.transports,
      });
      if (newCounter === null) throw new LoginFailedError();
      // Only now does the attempt count against the account: whoever got here holds its passkey.
      await this.throttle.takeAccountAttempt(challenge.email);

      const totp = await this.credentials.totpSecret(tx, person.id);
      const step = totp && (await this.totp.verify(this.secrets.decrypt(totp.secretEncrypted), command.code, Number(totp.lastTimeStep)));
      if (!step || !(await this.credentials.advanceTotpStep(tx, person.id, step))) throw new LoginFailedError();

      // Only someone who proved the account learns that it is suspended.
      if (person.accountStatus === 'suspended') throw new AccountSuspendedError();
      await this.credentials.updateCounter(tx, credential.id, newCounter, this.clock.now());
      return { result: { person, ...(await this.sessions.create(tx, person.id)) }, account: challenge.email };
    });
  }

  /**
   * Decoys for an address without an account: shaped like the credentials of a real person (as
   * many, of the same byte lengths — authenticators differ), chosen and derived from the address
   * with the server key, so they are stable per address and tell nothing.
   */
  private async decoyCredentialIds(email: string): Promise<string[]> {
    const probe = this.derive(email, 'probe', 16).toString('base64url');
    const template = await this.credentials.credentialIdsOfPersonNear(this.transactions.manager, probe);
    const lengths = template.length > 0 ? template.map((id) => Buffer.from(id, 'base64url').length) : [DEFAULT_CREDENTIAL_ID_BYTES];
    return lengths.map((length, i) => this.derive(email, `id:${i}`, length).toString('base64url'));
  }

  private derive(email: string, purpose: string, length: number): Buffer {
    return Buffer.from(hkdfSync('sha256', this.decoyKey, 'login-decoy', `${purpose}:${email}`, length));
  }
}
