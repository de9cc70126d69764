/** A stored passkey as login checks it: its public key, signature counter and transports. */
export interface StoredCredential {
  id: string;
  personId: string;
  publicKey: Buffer;
  /** the authenticator's signature counter (bigint column, as text) */
  counter: string;
  transports: string[];
}

/** A passkey as its owner manages it (list, rename, remove). */
export interface Passkey {
  id: string;
  name: string;
  /** the WebAuthn user handle: the same for every passkey of a person */
  userHandle: Buffer;
  createdAt: Date;
  lastUsedAt: Date | null;
}

/** A person's TOTP secret (Fernet token) and the last time step a code was accepted for (bigint, as text). */
export interface TotpSecret {
  secretEncrypted: string;
  lastTimeStep: string;
}

/** An unused, unrevoked recovery link (by the hash of its token). */
export interface RecoveryToken {
  id: string;
  personId: string;
  expiresAt: Date;
}

/** A login challenge, taken: the address it was issued for and the WebAuthn challenge. */
export interface LoginChallenge {
  email: string;
  challenge: string;
}
