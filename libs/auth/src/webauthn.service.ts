import { Inject, Injectable } from '@nestjs/common';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { APP_CONFIG, type AppConfig } from '@loomworks/config';
import { assertStorableCredential } from './domain/credential-bounds';

export interface VerifiedPasskey {
  credentialId: string;
  publicKey: Buffer;
  counter: number;
  transports: string[];
}

const RP_NAME = 'Loomworks';
/** ES256 and RS256: what platform authenticators and security keys offer. */
const ALGORITHMS = [-7, -257];

/**
 * WebAuthn through @simplewebauthn/server, bound to the configured RP ID and origins.
 * User verification is required; attestation `none` is accepted (we trust the person, not the device).
 */
@Injectable()
export class WebAuthnService {
  private readonly rpId: string;
  private readonly origins: string[];

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.rpId = config.webauthn.rpId;
    this.origins = config.webauthn.origins;
  }

  /** `exclude`: the person's passkeys, so an authenticator that already holds one says so. */
  registrationOptions(user: { email: string; displayName: string; userHandle: Buffer }, exclude: string[] = []): Promise<PublicKeyCredentialCreationOptionsJSON> {
    return generateRegistrationOptions({
      excludeCredentials: exclude.map((id) => ({ id })),
      rpName: RP_NAME,
      rpID: this.rpId,
      userName: user.email,
      userDisplayName: user.displayName,
      userID: new Uint8Array(user.userHandle),
      attestationType: 'none',
      authenticatorSelection: { residentKey: 'preferred', userVerification: 'required' },
      supportedAlgorithmIDs: ALGORITHMS,
    });
  }

  /** The verified credential, or null for any failure (the reason is not the client's business). */
  /** Null when the attestation does not verify; bounds the answer first (ValidationFailedError: nothing is taken or stored). */
  async verifyRegistration(response: RegistrationResponseJSON, expectedChallenge: string): Promise<VerifiedPasskey | null> {
    let verified: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
    try {
      verified = await verifyRegistrationResponse({
        response,
        expectedChallenge,
        expectedOrigin: this.origins,
        expectedRPID: this.rpId,
        requireUserVerification: true,
        supportedAlgorithmIDs: ALGORITHMS,
      });
    } catch {
      return null;
    }
    if (!verified.verified) return null;
    const { credential } = verified.registrationInfo;
    // The id stored is the one inside the signed authenticator data, which the verifier does not
    // compare with the (already bounded) `id` of the answer: bounded again here.
    assertStorableCredential({ id: credential.id, rawId: credential.id, response: { transports: credential.transports } });
    return {
      credentialId: credential.id,
      publicKey: Buffer.from(credential.publicKey),
      counter: credential.counter,
      transports: credential.transports ?? [],
    };
  }

  authenticationOptions(credentialIds: string[]): Promise<PublicKeyCredentialRequestOptionsJSON> {
    return generateAuthenticationOptions({
      rpID: this.rpId,
      allowCredentials: credentialIds.map((id) => ({ id })),
      userVerification: 'required',
    });
  }

  /** The authenticator's new signature counter, or null when the assertion does not verify (incl. counter regression). */
  async verifyAuthentication(
    response: AuthenticationResponseJSON,
    expectedChallenge: string,
    credential: { id: string; publicKey: Buffer; counter: number; transports: string[] },
  ): Promise<number | null> {
    try {
      const result = await verifyAuthenticationResponse({
        response,
        expectedChallenge,
        expectedOrigin: this.origins,
        expectedRPID: this.rpId,
        requireUserVerification: true,
        credential: {
          id: credential.id,
          publicKey: new Uint8Array(credential.publicKey),
          counter: credential.counter,
          transports: credential.transports as never,
        },
      });
      return result.verified ? result.authenticationInfo.newCounter : null;
    } catch {
      return null;
    }
  }
}
