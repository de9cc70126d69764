/**
 * A signup, recovery or added-passkey registration as the services see it, by step: a stored
 * registration; one whose challenge was just taken (the passkey step); one whose passkey was
 * verified and TOTP secret issued (the TOTP step). Each step's type says what is known then.
 */
export interface Registration {
  id: string;
  email: string;
  displayName: string;
  userHandle: Buffer;
  adminTokenId: string | null;
  emailCodeHash: Buffer | null;
  /** set for a signup started from a grant's claim link: the hash of that link's token */
  claimTokenHash: Buffer | null;
  /** set for a passkey added to an existing account */
  addingToPersonId: string | null;
  /** set for a recovery's registration */
  recoveryId: string | null;
  expiresAt: Date;
}

/** The passkey step: the challenge, taken (it can be checked against once). */
export interface ChallengedRegistration extends Registration {
  challenge: string;
}

/** The passkey the registration verified, kept until the registration completes. */
export interface RegisteredPasskey {
  credentialId: string;
  publicKey: Buffer;
  counter: string;
  transports: string[];
}

/** The TOTP step: the verified passkey and the issued TOTP secret (Fernet token). */
export interface VerifiedRegistration extends Registration {
  passkey: RegisteredPasskey;
  totpSecretEncrypted: string;
}
