import { useState } from 'preact/hooks';
import { api, newIdempotencyKey, type CreditView, type FlowView, type Mail, type PersonView } from '../api';
import { Balances } from '../balances';
import { HistoryTable } from '../history';
import { Confirm, CopyButton, Field, fmtDate, Select, Status, useAction, useLoad } from '../ui';

type Lifecycle = 'suspend' | 'reactivate' | 'delete';

const LIFECYCLE_TEXT: Record<Lifecycle, string> = {
  suspend: 'Their system-key turns stop and they cannot sign in again until reactivated. Their sessions stay, so they see why.',
  reactivate: 'They can sign in and use their credit again.',
  delete: 'Their balances are zeroed, their email is anonymised and every session ends. This cannot be undone.',
};

function PersonPage({ person: initial, assets, onBack }: { person: PersonView; assets: string[]; onBack: () => void }) {
  const [person, setPerson] = useState(initial);
  const [version, setVersion] = useState(0);
  const [flows, setFlows] = useState<FlowView[]>([]);
  const [asset, setAsset] = useState(assets[0] ?? '');
  const [cursor, setCursor] = useState<string | null>(null);
  const credit = useLoad(async () => {
    const data = await api<CreditView & { flows: FlowView[]; nextCursor: string | null }>('GET', `/admin/persons/${person.id}/credit?limit=50`);
    setFlows(data.flows);
    setCursor(data.nextCursor);
    // Adjust what they hold by default.
    if (version === 0 && data.balances[0]) setAsset(data.balances[0].asset);
    return data;
  }, [person.id, version]);
  const act = useAction();
  const [pending, setPending] = useState<Lifecycle | null>(null);
  const [recovery, setRecovery] = useState<{ recoveryUrl: string; expiresAt: string; mail: Mail } | null>(null);
  const [amount, setAmount] = useState('');
  const [reason, setReason] = useState('');
  const adjust = useAction();

  function lifecycle() {
    const action = pending!;
    setPending(null);
    void act.run(async () => {
      setPerson(await api<PersonView>('POST', `/admin/persons/${person.id}/${action}`));
      setVersion((v) => v + 1);
      return { suspend: 'Account suspended.', reactivate: 'Account reactivated.', delete: 'Account deleted.' }[action];
    });
  }

  return (
    <section aria-labelledby="person-title" id="person">
      <p>
        <button type="button" class="link" onClick={onBack}>
          ← Back to the search
        </button>
      </p>
      <h2 id="person-title">{person.displayName}</h2>
      <dl class="facts">
        <dt>Email</dt>
        <dd>{person.email}</dd>
        <dt>Role</dt>
        <dd>{person.role}</dd>
        <dt>Account</dt>
        <dd>
          <span class={`badge ${person.accountStatus}`} id="account-status">
            {person.accountStatus}
          </span>
        </dd>
        <dt>Since</dt>
        <dd>{fmtDate(person.createdAt)}</dd>
        <dt>Id</dt>
        <dd>
          <code>{person.id}</code>
        </dd>
      </dl>
      <div class="actions" id="lifecycle">
        {person.accountStatus === 'active' && (
          <button type="button" class="secondary" onClick={() => setPending('suspend')}>
            Suspend
          </button>
        )}
        {person.accountStatus === 'suspended' && (
          <button type="button" class="secondary" onClick={() => setPending('reactivate')}>
            Reactivate
          </button>
        )}
        {person.accountStatus !== 'deleted' && (
          <button
            type="button"
            class="secondary"
            onClick={() =>
              act.run(async () => {
                setRecovery(await api('POST', `/admin/persons/${person.id}/recovery`));
              })
            }
          >
            Recovery link
          </button>
        )}
        {person.accountStatus !== 'deleted' && (
          <button type="button" class="danger" onClick={() => setPending('delete')}>
            Delete account
          </button>
        )}
      </div>
      <Status message={act.message} id="person-status" />
      {recovery && (
        <div class="card" id="recovery">
          <p>
            Recovery link, valid once until {fmtDate(recovery.expiresAt)}. {recovery.mail.status === 'queued' ? 'It is being mailed to them.' : 'Mail is off: send it yourself.'} Using it replaces their
            passkeys and authenticator and signs out every device.
          </p>
          <code class="url" id="recovery-url">
            {recovery.recoveryUrl}
          </code>
          <CopyButton text={recovery.recoveryUrl} />
        </div>
      )}
      <div class="grid">
        <section class="card" aria-labelledby="person-credit-title">
          <h3 id="person-credit-title">Credit</h3>
          {credit.data && <Balances credit={credit.data} />}
        </section>
        <form
          class="card"
          id="adjust"
          aria-labelledby="adjust-title"
          onSubmit={(e) => {
            e.preventDefault();
            void adjust.run(async () => {
              await api('POST', `/admin/persons/${person.id}/adjustments`, { body: { asset, amount: Number(amount), reason: reason.trim() }, idempotencyKey: newIdempotencyKey() });
              setAmount('');
              setReason('');
              setVersion((v) => v + 1);
              return 'Adjustment recorded.';
            });
          }}
        >
          <h3 id="adjust-title">Adjust credit</h3>
          <Select label="Credit" id="adjust-asset" value={asset} onChange={(e) => setAsset(e.currentTarget.value)} options={assets.map((a) => [a, a])} />
          <Field label="Amount" id="adjust-amount" type="number" step={1} required value={amount} onInput={(e) => setAmount(e.currentTarget.value)} hint="Positive adds credit, negative takes it away." />
          <Field label="Reason (recorded in the audit log)" id="adjust-reason" required maxLength={500} value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
          <button type="submit" disabled={adjust.busy}>
            Record adjustment
          </button>
          <Status message={adjust.message} id="adjust-status" />
        </form>
      </div>
      <section class="card" aria-labelledby="person-history-title">
        <h3 id="person-history-title">History</h3>
        {credit.data && <HistoryTable flows={flows} caption="Charges by turn, grants and adjustments, newest first" />}
        {cursor && (
          <button
            type="button"
            class="secondary"
            onClick={() =>
              act.run(async () => {
                const page = await api<{ flows: FlowView[]; nextCursor: string | null }>('GET', `/admin/persons/${person.id}/credit?limit=50&cursor=${encodeURIComponent(cursor)}`);
                setFlows((f) => [...f, ...page.flows]);
                setCursor(page.nextCursor);
              })
            }
          >
            Show older
          </button>
        )}
      </section>
      <Confirm
        open={pending !== null}
        title={pending === 'delete' ? `Delete ${person.email}?` : pending === 'suspend' ? `Suspend ${person.email}?` : `Reactivate ${person.email}?`}
        confirmLabel={pending === 'delete' ? 'Delete account' : pending === 'suspend' ? 'Suspend' : 'Reactivate'}
        danger={pending === 'delete'}
        onConfirm={lifecycle}
        onCancel={() => setPending(null)}
      >
        <p>{pending && LIFECYCLE_TEXT[pending]}</p>
      </Confirm>
    </section>
  );
}

export function PeopleView({ assets }: { assets: string[] }) {
  const [email, setEmail] = useState('');
  const [results, setResults] = useState<PersonView[] | null>(null);
  const [selected, setSelected] = useState<PersonView | null>(null);
  const search = useAction();
  if (selected) return <PersonPage person={selected} assets={assets} onBack={() => setSelected(null)} />;
  return (
    <section class="card" aria-labelledby="people-title">
      <h2 id="people-title">People</h2>
      <form
        id="lookup"
        class="inline"
        onSubmit={(e) => {
          e.preventDefault();
          void search.run(async () => {
            const { items } = await api<{ items: PersonView[] }>('GET', `/admin/persons?email=${encodeURIComponent(email.trim())}`);
            setResults(items);
            return items.length === 0 ? 'Nobody with this address (or a variant of it).' : undefined;
          });
        }}
      >
        <Field label="Email address" id="lookup-email" type="email" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} hint="Finds the address and its variants; deleted accounts by their kept hash." />
        <button type="submit">Search</button>
      </form>
      <Status message={search.message} id="lookup-status" />
      {results && results.length > 0 && (
        <ul class="rows" id="people">
          {results.map((p) => (
            <li>
              <span class="grow">
                <strong>{p.displayName}</strong> {p.email} <span class={`badge ${p.accountStatus}`}>{p.accountStatus}</span> <span class="muted">{p.role}</span>
              </span>
              <button type="button" onClick={() => setSelected(p)} aria-label={`Open ${p.email}`}>
                Open
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
