import { startAuthentication, startRegistration, WebAuthnError } from '@simplewebauthn/browser';
import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/browser';

/**
 * The browser's own WebAuthn errors ("The operation either timed out or was not allowed. See:
 * https://www.w3.org/…") mean nothing to a person; these say what happened and what to do.
 */
export class PasskeyError extends Error {}

function plain(error: unknown, creating: boolean): PasskeyError {
  const name = error instanceof WebAuthnError ? (error.cause as Error | undefined)?.name ?? error.name : error instanceof Error ? error.name : '';
  const code = error instanceof WebAuthnError ? error.code : '';
  if (code === 'ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED' || name === 'InvalidStateError') {
    return new PasskeyError('This device already holds a passkey for this account. Use it, or choose another device.');
  }
  if (name === 'NotAllowedError' || name === 'AbortError' || code === 'ERROR_CEREMONY_ABORTED') {
    return new PasskeyError(
      creating
        ? 'No passkey was created: the request was cancelled or timed out. Try again when your device asks.'
        : // An unknown address gets decoy options (the server never tells which addresses exist), so
          // "no passkey here" may as well be a mistyped address: say both.
          'No passkey was used: the request was cancelled or timed out, or no passkey on this device belongs to this email address. Check the address, then try again — or use the device where you created your passkey.',
    );
  }
  if (name === 'SecurityError' || code === 'ERROR_INVALID_DOMAIN' || code === 'ERROR_INVALID_RP_ID') {
    return new PasskeyError('Passkeys only work on this service’s own address. Open the page from the link you were given.');
  }
  if (name === 'NotSupportedError') {
    return new PasskeyError('This browser or device cannot use passkeys here. Try an up-to-date browser, or another device.');
  }
  return new PasskeyError('The passkey step did not work on this device. Try again, or use another device.');
}

export function passkeysSupported(): boolean {
  return typeof window.PublicKeyCredential === 'function';
}

export async function createPasskey(options: unknown): Promise<unknown> {
  if (!passkeysSupported()) throw plain(Object.assign(new Error(), { name: 'NotSupportedError' }), true);
  try {
    return await startRegistration({ optionsJSON: options as PublicKeyCredentialCreationOptionsJSON });
  } catch (error) {
    throw plain(error, true);
  }
}

export async function usePasskey(options: unknown): Promise<unknown> {
  if (!passkeysSupported()) throw plain(Object.assign(new Error(), { name: 'NotSupportedError' }), false);
  try {
    return await startAuthentication({ optionsJSON: options as PublicKeyCredentialRequestOptionsJSON });
  } catch (error) {
    throw plain(error, false);
  }
}
