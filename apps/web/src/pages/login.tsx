import { useState } from 'preact/hooks';
import { api, type LoginStarted, type SignedIn } from '../api';
import { usePasskey } from '../passkeys';
import { Field, mount, Shell, Status, useAction } from '../ui';

/** Set by the server on a fresh install (pages.controller.ts): nobody can sign in yet. */
const noAdminYet = document.body.dataset.firstRun === 'no-admin';

function LoginPage() {
  const [email, setEmail] = useState('');
  const [code, setCode] = useState('');
  const action = useAction();

  function submit(event: Event) {
    event.preventDefault();
    void action.run(async () => {
      const { loginId, options } = await api<LoginStarted>('POST', '/auth/login/begin', { body: { email: email.trim() } });
      const credential = await usePasskey(options);
      const { person } = await api<SignedIn>('POST', '/auth/login/finish', { body: { loginId, credential, code: code.trim() } });
      location.assign(person.role === 'admin' ? '/admin' : '/account');
      return `Signed in as ${person.email}.`;
    });
  }

  return (
    <Shell title="Sign in">
      {noAdminYet && (
        <div class="info" id="first-run" role="note">
          <p>
            <strong>This server has no administrator yet</strong>, so nobody can sign in. On the machine running it, in the project folder, run <code>npm run admin:bootstrap</code> (with the
            same <code>PORT</code> as the server) and open the signup link it prints.
          </p>
        </div>
      )}
      <form id="login" onSubmit={submit}>
        <Field label="Email" id="email" type="email" autocomplete="username webauthn" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
        <Field
          label="Code from your authenticator app"
          id="code"
          required
          inputMode="numeric"
          pattern="[0-9]{6}"
          maxLength={6}
          autocomplete="one-time-code"
          value={code}
          onInput={(e) => setCode(e.currentTarget.value)}
          hint="6 digits. Your device then asks for your passkey."
        />
        <button type="submit" disabled={action.busy}>
          Sign in
        </button>
      </form>
      <Status message={action.message} id="status" />
      <p class="muted">
        No account yet? Open the claim link you were sent, or <a href="/signup">create an account</a>. Lost your passkey or authenticator? Ask the staff for a recovery link.
      </p>
    </Shell>
  );
}

mount(() => <LoginPage />);
