import { useState } from 'preact/hooks';
import { api, type SignupStart } from '../api';
import { SignupSteps } from '../signup-flow';
import { Field, mount, Shell } from '../ui';

/** Signup without a grant; with `?adminToken=` (from `npm run admin:bootstrap`) the account is an admin. */
function SignupPage() {
  const adminToken = new URLSearchParams(location.search).get('adminToken') ?? undefined;
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [ready, setReady] = useState(false);

  return (
    <Shell title="Create an account">
      {adminToken && <p class="info">This link makes the new account an administrator.</p>}
      {!ready ? (
        <form
          id="details"
          onSubmit={(e) => {
            e.preventDefault();
            setReady(true);
          }}
        >
          <Field label="Email" id="email" type="email" autocomplete="email" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
          <Field label="Your name" id="name" autocomplete="name" required maxLength={100} value={name} onInput={(e) => setName(e.currentTarget.value)} />
          <button type="submit">Continue</button>
        </form>
      ) : (
        <SignupSteps
          start={() => api<SignupStart>('POST', '/auth/signup/begin', { body: { email: email.trim(), displayName: name.trim(), ...(adminToken && { adminToken }) } })}
          verifyExtras={{}}
          intro={
            <p>
              Creating the account for <strong>{email}</strong>.{' '}
              <button type="button" class="link" onClick={() => setReady(false)}>
                Change
              </button>
            </p>
          }
          done={(result) => (
            <>
              <p id="welcome" class="ok">
                Welcome, {result.person.displayName} ({result.person.role}).
              </p>
              <p>
                <a id="next" class="button" href={result.person.role === 'admin' ? '/admin' : '/account'}>
                  {result.person.role === 'admin' ? 'Open the admin console' : 'Go to your account'}
                </a>
              </p>
            </>
          )}
        />
      )}
    </Shell>
  );
}

mount(() => <SignupPage />);
