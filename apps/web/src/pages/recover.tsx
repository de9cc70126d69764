import { api, ApiError, type RecoveryStarted } from '../api';
import { SignupSteps } from '../signup-flow';
import { fmtDate, mount, Shell, useLoad } from '../ui';

function RecoverPage() {
  const recoveryToken = new URLSearchParams(location.search).get('token') ?? '';
  const started = useLoad(() =>
    recoveryToken
      ? api<RecoveryStarted>('POST', '/auth/recovery/begin', { body: { recoveryToken } })
      : Promise.reject(new ApiError('This link has no recovery token.', 400, 'no_token')),
  );
  return (
    <Shell title="Recover your account">
      {started.loading && <p aria-live="polite">Checking your link…</p>}
      {started.error !== undefined && (
        <p role="alert" class="error">
          {started.error instanceof ApiError ? started.error.message : String(started.error)} Ask the staff for a new recovery link.
        </p>
      )}
      {started.data && (
        <SignupSteps
          start={async () => started.data!}
          verifyExtras={{ recoveryToken }}
          passkeyLabel="Create a new passkey"
          intro={
            <div id="recovery">
              <p class="lead">
                Recovering the account of <span id="hint">{started.data.emailHint}</span> (link valid until {fmtDate(started.data.expiresAt)}).
              </p>
              <p class="warning">Your old passkeys and authenticator app stop working, and every device signed in to this account is signed out.</p>
            </div>
          }
          done={(result) => (
            <>
              <p id="welcome" class="ok">
                Your account is back, {result.person.displayName}. Use your new passkey and authenticator from now on.
              </p>
              <p>
                <a id="next" class="button" href={result.person.role === 'admin' ? '/admin' : '/account'}>
                  Continue
                </a>
              </p>
            </>
          )}
        />
      )}
    </Shell>
  );
}

mount(() => <RecoverPage />);
