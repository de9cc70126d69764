import { ValidationFailedError } from '@loomworks/common';

/** WebAuthn caps a credential id at 1023 bytes: 1364 characters of base64url. */
export const MAX_CREDENTIAL_ID_LENGTH = 1364;
/** WebAuthn defines six transports (usb, nfc, ble, smart-card, hybrid, internal); a few more may come. */
export const MAX_TRANSPORTS = 8;
export const MAX_TRANSPORT_LENGTH = 32;

const CREDENTIAL_ID = new RegExp(`^[A-Za-z0-9_-]{1,${MAX_CREDENTIAL_ID_LENGTH}}$`);

export const isCredentialId = (id: unknown): id is string => typeof id === 'string' && CREDENTIAL_ID.test(id);

/**
 * What an authenticator's answer may store (credential id, transports) is bounded before any SQL
 * sees it: an over-long id is a 400, not a btree row too large (500).
 */
export function assertStorableCredential(response: { id?: unknown; rawId?: unknown; response?: { transports?: unknown } }): void {
  const problems: { field: string; message: string }[] = [];
  if (!isCredentialId(response.id) || !isCredentialId(response.rawId)) {
    problems.push({ field: 'credential.id', message: `credential.id must be base64url of at most ${MAX_CREDENTIAL_ID_LENGTH} characters` });
  }
  const transports = response.response?.transports;
  if (
    transports !== undefined &&
    !(Array.isArray(transports) && transports.length <= MAX_TRANSPORTS && transports.every((t) => typeof t === 'string' && t.length >= 1 && t.length <= MAX_TRANSPORT_LENGTH))
  ) {
    problems.push({
      field: 'credential.response.transports',
      message: `credential.response.transports must list at most ${MAX_TRANSPORTS} names of at most ${MAX_TRANSPORT_LENGTH} characters`,
    });
  }
  if (problems.length > 0) throw new ValidationFailedError(problems);
}
