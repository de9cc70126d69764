import { api, ApiError, type ClaimStarted } from '../api';
import { SignupSteps } from '../signup-flow';
import { fmtAmount, fmtDate, mount, Shell, useLoad } from '../ui';

const GONE: Record<string, string> = {
  grant_not_found: 'This claim link is not valid. Check that you opened the whole link from your mail; a link that was re-issued stops working.',
  grant_already_claimed: 'This credit has already been claimed. Sign in to see it.',
  grant_expired: 'This claim link has expired. Ask the sender for a new one.',
  grant_revoked: 'This grant was withdrawn by the staff.',
  email_taken: 'An account with this address already exists: sign in, then claim the credit on your account page.',
};

function ClaimPage() {
  const claimToken = new URLSearchParams(location.search).get('token') ?? '';
  const grant = useLoad(() =>
    claimToken ? api<ClaimStarted>('POST', '/claim/grant', { body: { claimToken } }) : Promise.reject(new ApiError('This link has no claim token.', 400, 'no_token')),
  );

  return (
    <Shell title="Claim your credit">
      {grant.loading && <p aria-live="polite">Loading your grant…</p>}
      {grant.error !== undefined && (
        <p role="alert" class="error">
          {grant.error instanceof ApiError ? (GONE[grant.error.code] ?? grant.error.message) : String(grant.error)} <a href="/login">Sign in</a>
        </p>
      )}
      {grant.data && (
        <SignupSteps
          start={async () => grant.data!}
          verifyExtras={{ claimToken }}
          intro={
            <div id="grant">
              <p class="lead">
                <strong id="amount">{fmtAmount(grant.data.amount)}</strong> <span id="asset">{grant.data.asset}</span> credits are waiting for{' '}
                <span id="hint">{grant.data.emailHint}</span>.
              </p>
              <p>
                Create your account to claim them (the link works until <span id="expires">{fmtDate(grant.data.expiresAt)}</span>).
              </p>
            </div>
          }
          done={(result) => (
            <>
              <p id="welcome" class="ok">
                Welcome, {result.person.displayName}: {fmtAmount(result.credit?.amount ?? 0)} {result.credit?.asset} credits are yours.
              </p>
              <p>
                <a id="next" class="button" href="/account">
                  Go to your account
                </a>
              </p>
            </>
          )}
        />
      )}
    </Shell>
  );
}

mount(() => <ClaimPage />);
