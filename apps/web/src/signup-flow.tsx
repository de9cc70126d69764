import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { api, type SignedIn, type SignupStart, type TotpSetup } from './api';
import { createPasskey } from './passkeys';
import { Field, Status, useAction } from './ui';

/**
 * The steps every signup shares (claim, plain signup, recovery): create a passkey on this device,
 * add the account to an authenticator app and type its code (and the mailed code when the server
 * sent one), then the account exists and the session cookie is set.
 */
export function SignupSteps({
  start,
  verifyExtras,
  intro,
  passkeyLabel = 'Create a passkey',
  done,
}: {
  /** starts (or has started) the registration; called when the person asks for the passkey */
  start: () => Promise<SignupStart>;
  verifyExtras: Record<string, string | undefined>;
  intro?: ComponentChildren;
  passkeyLabel?: string;
  done: (result: SignedIn) => ComponentChildren;
}) {
  const [started, setStarted] = useState<SignupStart | null>(null);
  const [totp, setTotp] = useState<TotpSetup['totp'] | null>(null);
  const [result, setResult] = useState<SignedIn | null>(null);
  const [code, setCode] = useState('');
  const [emailCode, setEmailCode] = useState('');
  const action = useAction();

  const passkeyStep = () =>
    action.run(async () => {
      const begun = started ?? (await start());
      setStarted(begun);
      const credential = await createPasskey(begun.options);
      const setup = await api<TotpSetup>('POST', '/auth/signup/passkey', { body: { registrationId: begun.registrationId, credential } });
      setTotp(setup.totp);
    });

  const verifyStep = (event: Event) => {
    event.preventDefault();
    void action.run(async () => {
      const body = {
        registrationId: started!.registrationId,
        code: code.trim(),
        ...(started!.emailVerification === 'sent' && { emailCode: emailCode.trim() }),
        ...Object.fromEntries(Object.entries(verifyExtras).filter(([, v]) => v !== undefined)),
      };
      setResult(await api<SignedIn>('POST', '/auth/signup/totp-verify', { body }));
    });
  };

  if (result) return <section id="done">{done(result)}</section>;

  if (totp) {
    return (
      <section id="totp" aria-labelledby="totp-title">
        <h2 id="totp-title">Step 2: your authenticator app</h2>
        <p>Scan this code with an authenticator app (such as Google Authenticator, 1Password or Aegis), or type the key by hand.</p>
        {totp.qrSvg && <div id="qr" class="qr" role="img" aria-label="QR code of your authenticator key" dangerouslySetInnerHTML={{ __html: totp.qrSvg }} />}
        <p>
          Key: <code id="secret">{totp.secret}</code>
        </p>
        <form onSubmit={verifyStep}>
          {started?.emailVerification === 'sent' && (
            <Field
              label="Code from the email we sent you"
              id="email-code"
              value={emailCode}
              onInput={(e) => setEmailCode(e.currentTarget.value)}
              required
              autocomplete="one-time-code"
              hint="We mailed a one-time code to your address: it proves the address is yours."
            />
          )}
          <Field
            label="6-digit code from the app"
            id="code"
            value={code}
            onInput={(e) => setCode(e.currentTarget.value)}
            required
            inputMode="numeric"
            pattern="[0-9]{6}"
            maxLength={6}
            autocomplete="one-time-code"
          />
          <button type="submit" id="verify" disabled={action.busy}>
            Finish
          </button>
        </form>
        <Status message={action.message} />
      </section>
    );
  }

  return (
    <section id="passkey" aria-labelledby="passkey-title">
      {intro}
      <h2 id="passkey-title">Step 1: a passkey on this device</h2>
      <p>A passkey signs you in with your fingerprint, face or device PIN — no password to remember.</p>
      <button type="button" id="create-passkey" onClick={passkeyStep} disabled={action.busy}>
        {passkeyLabel}
      </button>
      <Status message={action.message} />
    </section>
  );
}
