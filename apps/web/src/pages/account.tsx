import { useState } from 'preact/hooks';
import { api, ApiError, newIdempotencyKey, type ClaimResult, type CreditView, type LlmKeyStatus, type FlowView, type PasskeyBegin, type Page, type PasskeyView, type PersonView } from '../api';
import { LimitSection } from '../account/limit';
import { TeamsSection } from '../account/teams';
import { Balances } from '../balances';
import { HistoryTable } from '../history';
import { useLoadMore } from '../paging';
import { createPasskey } from '../passkeys';
import { Confirm, Field, fmtAmount, fmtDate, LoadError, mount, Shell, SignInFirst, Status, useAction, useLoad } from '../ui';
import { ApiKeysSection } from '../account/api-keys';
import { LlmCallsSection } from '../account/llm-calls';
import { UsageSection } from '../account/usage';

function CreditSection() {
  const credit = useLoad(() => api<CreditView>('GET', '/me/credit'));
  return (
    <section aria-labelledby="credit-title" class="card">
      <h2 id="credit-title">Credit</h2>
      {credit.data && (
        <>
          <p id="tier">
            {credit.data.tier ? (
              <>
                Your turns run on <strong>{credit.data.tier.asset}</strong> ({credit.data.tier.responderModel}).
              </>
            ) : (
              'No credit to spend: turns on the service’s key are refused until you claim a grant.'
            )}
          </p>
          <Balances credit={credit.data} />
        </>
      )}
      <LoadError error={credit.error} />
    </section>
  );
}

/** Flows newest first, a page at a time. */
function HistorySection() {
  const history = useLoadMore('/me/flows?limit=100', (page: Page<FlowView>) => page.items, { label: 'Show older' });
  return (
    <section aria-labelledby="history-title" class="card">
      <h2 id="history-title">Charges</h2>
      {history.first.data && <HistoryTable flows={history.items} caption="Recent charges, by turn" />}
      <a href="/me/flows.csv" download id="flows-csv">Download all your flows (CSV)</a>
      {history.more}
    </section>
  );
}

function PasskeysSection() {
  const list = useLoad(() => api<{ items: PasskeyView[] }>('GET', '/me/passkeys'));
  const action = useAction();
  const [editing, setEditing] = useState<string | null>(null);
  const [name, setName] = useState('');
  const [removing, setRemoving] = useState<PasskeyView | null>(null);
  const [code, setCode] = useState('');
  const [newName, setNewName] = useState('');

  const rename = (id: string) => (event: Event) => {
    event.preventDefault();
    void action.run(async () => {
      await api('PATCH', `/me/passkeys/${id}`, { body: { name: name.trim() } });
      setEditing(null);
      list.reload();
      return 'Passkey renamed.';
    });
  };
  const remove = () => {
    const passkey = removing!;
    setRemoving(null);
    void action.run(async () => {
      await api('DELETE', `/me/passkeys/${passkey.id}`);
      list.reload();
      return `Passkey “${passkey.name}” removed.`;
    });
  };
  const add = (event: Event) => {
    event.preventDefault();
    void action.run(async () => {
      const { registrationId, options } = await api<PasskeyBegin>('POST', '/me/passkeys/begin', { body: { code: code.trim() } });
      const credential = await createPasskey(options);
      await api('POST', '/me/passkeys/finish', { body: { registrationId, credential, ...(newName.trim() && { name: newName.trim() }) } });
      setCode('');
      setNewName('');
      list.reload();
      return 'Passkey added.';
    });
  };

  return (
    <section aria-labelledby="passkeys-title" class="card" id="passkeys">
      <h2 id="passkeys-title">Passkeys</h2>
      <ul class="rows">
        {list.data?.items.map((p) => (
          <li>
            {editing === p.id ? (
              <form class="inline" onSubmit={rename(p.id)}>
                <Field label="New name" id={`name-${p.id}`} required maxLength={100} value={name} onInput={(e) => setName(e.currentTarget.value)} />
                <button type="submit">Save</button>
                <button type="button" class="secondary" onClick={() => setEditing(null)}>
                  Cancel
                </button>
              </form>
            ) : (
              <>
                <span class="grow">
                  <strong class="passkey-name">{p.name}</strong>
                  <span class="muted">
                    {' '}
                    · added {fmtDate(p.createdAt)} · last used {p.lastUsedAt ? fmtDate(p.lastUsedAt) : 'never'}
                  </span>
                </span>
                <button
                  type="button"
                  class="secondary"
                  aria-label={`Rename ${p.name}`}
                  onClick={() => {
                    setEditing(p.id);
                    setName(p.name);
                  }}
                >
                  Rename
                </button>
                <button type="button" class="danger" aria-label={`Remove ${p.name}`} onClick={() => setRemoving(p)}>
                  Remove
                </button>
              </>
            )}
          </li>
        ))}
      </ul>
      <form id="add-passkey" onSubmit={add}>
        <h3>Add a passkey</h3>
        <p class="muted">For another device or a security key. To prove it is you, type a current code from your authenticator app.</p>
        <Field label="Code from your authenticator app" id="step-up-code" required inputMode="numeric" pattern="[0-9]{6}" maxLength={6} autocomplete="one-time-code" value={code} onInput={(e) => setCode(e.currentTarget.value)} />
        <Field label="Name for the new passkey (optional)" id="new-passkey-name" maxLength={100} value={newName} onInput={(e) => setNewName(e.currentTarget.value)} />
        <button type="submit" disabled={action.busy}>
          Add passkey
        </button>
      </form>
      <Status message={action.message} id="passkeys-status" />
      <Confirm open={removing !== null} title="Remove this passkey?" confirmLabel="Remove" danger onConfirm={remove} onCancel={() => setRemoving(null)}>
        <p>“{removing?.name}” will no longer sign you in. Your other passkeys keep working.</p>
      </Confirm>
    </section>
  );
}

function LlmKeySection() {
  const [key, setKey] = useState('');
  const action = useAction();
  const status = useLoad(() => api<LlmKeyStatus>('GET', '/me/llm-key'));
  return (
    <section aria-labelledby="llm-title" class="card" id="llm-key">
      <h2 id="llm-title">Your own Anthropic key</h2>
      <p class="muted">With your own key, your turns run on it and cost you no credit. It is stored encrypted and never shown again, not even to you.</p>
      {status.data && (
        <p id="llm-key-state" class={status.data.isSet ? 'ok' : undefined}>
          {status.data.isSet ? 'A key of yours is stored: your turns run on it.' : 'No key of yours is stored: your turns use your credit.'}
        </p>
      )}
      <LoadError error={status.error} />
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void action.run(async () => {
            await api('PUT', '/me/llm-key', { body: { provider: 'anthropic', apiKey: key.trim() } });
            setKey('');
            status.reload();
            return 'Key saved. Your turns now use it.';
          });
        }}
      >
        <Field label="API key" id="api-key" type="password" autocomplete="off" spellcheck={false} required value={key} onInput={(e) => setKey(e.currentTarget.value)} />
        <div class="actions">
          <button type="submit" disabled={action.busy}>
            Save key
          </button>
          <button
            type="button"
            class="secondary"
            disabled={action.busy}
            onClick={() =>
              action.run(async () => {
                await api('DELETE', '/me/llm-key');
                status.reload();
                return 'Key removed. Your turns use your credit again.';
              })
            }
          >
            Remove key
          </button>
        </div>
      </form>
      <Status message={action.message} id="llm-status" />
    </section>
  );
}

/** A claim link (or its token) sent to this person's address, claimed without a new account. */
function ClaimSection({ onClaimed }: { onClaimed: () => void }) {
  const [link, setLink] = useState('');
  const action = useAction();
  return (
    <section aria-labelledby="claim-title" class="card" id="claim">
      <h2 id="claim-title">Claim credit sent to you</h2>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void action.run(async () => {
            const text = link.trim();
            let claimToken = text;
            try {
              claimToken = new URL(text).searchParams.get('token') ?? text;
            } catch {
              // not a URL: the token itself
            }
            const result = await api<ClaimResult>('POST', '/me/claims', { body: { claimToken }, idempotencyKey: newIdempotencyKey() });
            setLink('');
            onClaimed();
            return `${fmtAmount(result.amount)} ${result.asset} credits added; you now have ${fmtAmount(result.balanceAfter)}.`;
          });
        }}
      >
        <Field label="Claim link from your mail" id="claim-link" required autocomplete="off" value={link} onInput={(e) => setLink(e.currentTarget.value)} />
        <button type="submit" disabled={action.busy}>
          Claim
        </button>
      </form>
      <Status message={action.message} id="claim-status" />
    </section>
  );
}

function AccountPage() {
  const me = useLoad(() => api<PersonView>('GET', '/me'));
  const [version, setVersion] = useState(0);
  const unauthenticated = me.error instanceof ApiError && me.error.status === 401;
  return (
    <Shell
      title="Your account"
      signedIn={Boolean(me.data)}
      nav={
        me.data && (
          <nav aria-label="Main">
            <ul>
              <li>
                <a href="/chat">Conversations</a>
              </li>
              {me.data.role === 'admin' && (
                <li>
                  <a href="/admin">Admin console</a>
                </li>
              )}
            </ul>
          </nav>
        )
      }
    >
      {me.loading && <p aria-live="polite">Loading…</p>}
      {unauthenticated && <SignInFirst />}
      {!unauthenticated && <LoadError error={me.error} />}
      {me.data && (
        <>
          <p id="who">
            Signed in as <strong>{me.data.displayName}</strong> ({me.data.email})
            {me.data.accountStatus !== 'active' && <strong class="warning"> · account {me.data.accountStatus}</strong>}
          </p>
          <div class="grid">
            <CreditSection key={version} />
            <ClaimSection onClaimed={() => setVersion((v) => v + 1)} />
          </div>
          <UsageSection key={`u${version}`} />
          <HistorySection key={`h${version}`} />
          <LlmCallsSection />
          <ApiKeysSection />
          <div class="grid">
            <TeamsSection />
            <LimitSection />
          </div>
          <div class="grid">
            <PasskeysSection />
            <LlmKeySection />
          </div>
        </>
      )}
    </Shell>
  );
}

mount(() => <AccountPage />);
