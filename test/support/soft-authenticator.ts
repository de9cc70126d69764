import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { Encoder } from 'cbor-x';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';

// Plain RFC 8949 CBOR: no cbor-x extensions (record structures, tag 259 for maps, typed-array tags).
// (useTag259ForMaps is a runtime option its typings lack.)
const plainCbor: ConstructorParameters<typeof Encoder>[0] & { useTag259ForMaps: boolean } = {
  useRecords: false,
  useTag259ForMaps: false,
  tagUint8Array: false,
};
const cbor = new Encoder(plainCbor);
const encode = (value: unknown): Buffer => cbor.encode(value);
const b64url = (bytes: Uint8Array | Buffer) => Buffer.from(bytes).toString('base64url');
const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest();

// Authenticator data flags (WebAuthn §6.1)
const UP = 0x01;
const UV = 0x04;
const AT = 0x40;

export interface Tamper {
  origin?: string;
  rpId?: string;
  /** answer with this signature counter instead of the next one */
  counter?: number;
  userVerified?: boolean;
}

/**
 * A software passkey for tests: an ES256 key pair from node:crypto, attestation "none", real CBOR
 * (cbor-x, independent of the verifier's decoder) and real ECDSA signatures over the data a browser
 * and authenticator would produce.
 */
export class SoftAuthenticator {
  readonly credentialId: Buffer;
  private readonly transports: string[];
  private readonly privateKey: KeyObject;
  private readonly publicKey: KeyObject;
  private signCount = 0;

  /** `idBytes`: the credential id's length (authenticators use 16 to 1023 bytes); `transports` as it reports them. */
  constructor(
    readonly origin = 'http://localhost:3000',
    readonly rpId = 'localhost',
    options: { idBytes?: number; transports?: string[] } = {},
  ) {
    this.credentialId = randomBytes(options.idBytes ?? 16);
    this.transports = options.transports ?? ['internal'];
    ({ privateKey: this.privateKey, publicKey: this.publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' }));
  }

  get id(): string {
    return b64url(this.credentialId);
  }

  register(options: PublicKeyCredentialCreationOptionsJSON, tamper: Tamper = {}): RegistrationResponseJSON {
    const clientDataJSON = this.clientData('webauthn.create', options.challenge, tamper);
    const jwk = this.publicKey.export({ format: 'jwk' });
    // COSE_Key: kty EC2 (2), alg ES256 (-7), crv P-256 (1), x, y
    const coseKey = encode(
      new Map<number, number | Uint8Array>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, Buffer.from(jwk.x!, 'base64url')],
        [-3, Buffer.from(jwk.y!, 'base64url')],
      ]),
    );
    const credentialIdLength = Buffer.alloc(2);
    credentialIdLength.writeUInt16BE(this.credentialId.length);
    const authData = Buffer.concat([
      this.authDataHeader(tamper, AT, this.signCount),
      Buffer.alloc(16), // AAGUID: none
      credentialIdLength,
      this.credentialId,
      Buffer.from(coseKey),
    ]);
    const attestationObject = encode(new Map<string, unknown>([['fmt', 'none'], ['attStmt', new Map()], ['authData', authData]]));
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key',
      response: {
        clientDataJSON: b64url(clientDataJSON),
        attestationObject: b64url(attestationObject),
        transports: this.transports as never,
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }

  authenticate(options: PublicKeyCredentialRequestOptionsJSON, tamper: Tamper = {}): AuthenticationResponseJSON {
    this.signCount = tamper.counter ?? this.signCount + 1;
    const clientDataJSON = this.clientData('webauthn.get', options.challenge, tamper);
    const authenticatorData = this.authDataHeader(tamper, 0, this.signCount);
    const signature = sign('sha256', Buffer.concat([authenticatorData, sha256(clientDataJSON)]), this.privateKey);
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key',
      response: {
        clientDataJSON: b64url(clientDataJSON),
        authenticatorData: b64url(authenticatorData),
        signature: b64url(signature),
      },
      clientExtensionResults: {},
    };
  }

  /** What the browser would sign over: CollectedClientData as JSON bytes. */
  private clientData(type: 'webauthn.create' | 'webauthn.get', challenge: string, tamper: Tamper): Buffer {
    return Buffer.from(JSON.stringify({ type, challenge, origin: tamper.origin ?? this.origin, crossOrigin: false }));
  }

  private authDataHeader(tamper: Tamper, extraFlags: number, counter: number): Buffer {
    const flags = UP | (tamper.userVerified === false ? 0 : UV) | extraFlags;
    const count = Buffer.alloc(4);
    count.writeUInt32BE(counter);
    return Buffer.concat([sha256(tamper.rpId ?? this.rpId), Buffer.from([flags]), count]);
  }
}
