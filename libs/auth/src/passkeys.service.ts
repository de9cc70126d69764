import { randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { PublicKeyCredentialCreationOptionsJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { CLOCK, type Clock } from '@loomworks/common';
import { Transactions } from '@loomworks/database';
import type { Person } from '@loomworks/persons';
import { SecretBox } from '@loomworks/system-config';
import {
  InvalidTotpError,
  LastPasskeyError,
  PasskeyExistsError,
  PasskeyNotFoundError,
  PasskeyVerificationFailedError,
  RegistrationNotFoundError,
} from './domain/errors';
import type { Passkey } from './domain/credentials';
import { assertStorableCredential } from './domain/credential-bounds';
import { REGISTRATION_TTL_MS } from './domain/secrets';
import { LoginThrottle } from './login-throttle';
import { CredentialsRepository } from './persistence/credentials.repository';
import { RegistrationsRepository } from './persistence/registrations.repository';
import { TotpService } from './totp.service';
import type { PasskeyViewSchema } from './views';
import { WebAuthnService } from './webauthn.service';

const passkeyView = (p: Passkey): PasskeyViewSchema => ({
  id: p.id,
  name: p.name,
  createdAt: p.createdAt.toISOString(),
  lastUsedAt: p.lastUsedAt?.toISOString() ?? null,
});

/**
 * A person's passkeys: list, add (only after a fresh TOTP code — a stolen session alone can't
 * plant a passkey), rename, remove (never the last: the account must keep a way in).
 */
@Injectable()
export class PasskeysService {
  constructor(
    private readonly transactions: Transactions,
    private readonly credentials: CredentialsRepository,
    private readonly registrations: RegistrationsRepository,
    private readonly webauthn: WebAuthnService,
    private readonly totp: TotpService,
    private readonly secrets: SecretBox,
    private readonly throttle: LoginThrottle,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async list(personId: string): Promise<PasskeyViewSchema[]> {
    return (await this.credentials.passkeysOf(this.transactions.manager, personId)).map(passkeyView);
  }

  /** Step-up: a TOTP code not used before (it is spent here), then creation options. */
  async beginAdd(person: Person, code: string, address: string): Promise<{ registrationId: string; options: PublicKeyCredentialCreationOptionsJSON }> {
    const account = `stepup:${person.id}`;
    await this.throttle.guarded(address, [InvalidTotpError], async () => {
      // The session proves who is asking: the account's attempt is taken before the code is checked.
      await this.throttle.takeAccountAttempt(account);
      const stepUp = await this.transactions.run(async (tx) => {
        const totp = await this.credentials.totpSecret(tx, person.id);
        const step = totp && (await this.totp.verify(this.secrets.decrypt(totp.secretEncrypted), code, Number(totp.lastTimeStep)));
        return step !== null && step !== undefined && (await this.credentials.advanceTotpStep(tx, person.id, step));
      });
      if (!stepUp) throw new InvalidTotpError();
      return { result: undefined, account };
    });
    return this.transactions.run(async (tx) => {
      const existing = await this.credentials.passkeysOf(tx, person.id);
      // Every passkey of a person carries the same WebAuthn user handle.
      const userHandle = existing[0]?.userHandle ?? randomBytes(32);
      const options = await this.webauthn.registrationOptions(
        { email: person.email, displayName: person.displayName, userHandle },
        existing.map((p) => p.id),
      );
      const registrationId = randomUUID();
      const now = this.clock.now();
      await this.registrations.insertRegistration(tx, {
        id: registrationId,
        email: person.email,
        displayName: person.displayName,
        userHandle,
        challenge: options.challenge,
        adminTokenId: null,
        expiresAt: new Date(now.getTime() + REGISTRATION_TTL_MS),
        now,
        addingToPersonId: person.id,
      });
      return { registrationId, options };
    });
  }

  async finishAdd(person: Person, registrationId: string, credential: RegistrationResponseJSON, name?: string): Promise<PasskeyViewSchema> {
    assertStorableCredential(credential);
    // The challenge is taken (committed) before verifying: one attempt per challenge.
    const registration = await this.transactions.run((tx) => this.registrations.takeRegistrationChallenge(tx, registrationId, this.clock.now(), person.id));
    if (!registration) throw new RegistrationNotFoundError();
    const passkey = await this.webauthn.verifyRegistration(credential, registration.challenge);
    if (!passkey) throw new PasskeyVerificationFailedError();
    return this.transactions.run(async (tx) => {
      const now = this.clock.now();
      const count = (await this.credentials.passkeysOf(tx, person.id)).length;
      const added = await this.credentials.insertCredentialIfNew(tx, {
        id: passkey.credentialId,
        personId: person.id,
        userHandle: registration.userHandle,
        publicKey: passkey.publicKey,
        counter: String(passkey.counter),
        transports: passkey.transports,
        name: name?.trim() || `Passkey ${count + 1}`,
        now,
      });
      if (!added) throw new PasskeyExistsError();
      await this.registrations.completeRegistration(tx, registrationId, now);
      return passkeyView((await this.credentials.passkeysOf(tx, person.id)).find((p) => p.id === passkey.credentialId)!);
    });
  }

  async rename(personId: string, id: string, name: string): Promise<PasskeyViewSchema> {
    const renamed = await this.credentials.renamePasskey(this.transactions.manager, personId, id, name.trim());
    if (!renamed) throw new PasskeyNotFoundError();
    return passkeyView(renamed);
  }

  /** Locks all the person's passkeys first, so two removals at once can't leave none. */
  async remove(personId: string, id: string): Promise<void> {
    await this.transactions.run(async (tx) => {
      const passkeys = await this.credentials.passkeysOf(tx, personId, true);
      if (!passkeys.some((p) => p.id === id)) throw new PasskeyNotFoundError();
      if (passkeys.length === 1) throw new LastPasskeyError();
      await this.credentials.deletePasskey(tx, personId, id);
    });
  }
}
