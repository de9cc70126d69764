import { useEffect, useState } from 'preact/hooks';
import { api, newIdempotencyKey, type CreditView, type FlowView, type Mail, type PersonView } from '../api';
import { Balances } from '../balances';
import { HistoryTable } from '../history';
import { Confirm, CopyButton, Field, fmtAmount, fmtDate, fmtSigned, LoadError, Select, Status, useAction, useLoad } from '../ui';
import { useLoadMore, usePaged } from '../paging';
import { PersonLimit } from './person-limit';
import { useIdInUrl } from './id-in-url';
import { Refunds } from './refunds';

type Lifecycle = 'suspend' | 'reactivate' | 'delete';

/** Debits of this many credits or more are confirmed before they are recorded. */
const LARGE_DEBIT = 1000;

const LIFECYCLE_TEXT: Record<Lifecycle, string> = {
  suspend: 'Their system-key turns stop and they cannot sign in again until reactivated. Their sessions stay, so they see why.',
  reactivate: 'They can sign in and use their credit again.',
  delete: 'Their balances are zeroed, their email is anonymised and every session ends. This cannot be undone.',
};

function PersonPage({ person: initial, assets, onBack }: { person: PersonView; assets: string[]; onBack: () => void }) {
  const [person, setPerson] = useState(initial);
  const [version, setVersion] = useState(0);
  const [asset, setAsset] = useState(assets[0] ?? '');
  const history = useLoadMore(`/admin/persons/${person.id}/credit?limit=50`, (page: CreditView & { flows: FlowView[]; nextCursor: string | null }) => page.flows, { label: 'Show older', deps: [version] });
  const credit = history.first;
  // Adjust what they hold by default.
  useEffect(() => {
    if (version === 0 && credit.data?.balances[0]) setAsset(credit.data.balances[0].asset);
  }, [credit.data]);
  const act = useAction();
  const [pending, setPending] = useState<Lifecycle | null>(null);
  const [recovery, setRecovery] = useState<{ recoveryUrl: string; expiresAt: string; mail: Mail } | null>(null);
  const [amount, setAmount] = useState('');
  const [reason, setReason] = useState('');
  const adjust = useAction();
  const [confirmDebit, setConfirmDebit] = useState(false);
  const balance = credit.data?.balances.find((b) => b.asset === asset)?.amount ?? 0;
  const delta = Math.trunc(Number(amount));
  // A debit that is large, or that takes the balance below zero, is confirmed first: a stray minus or zero costs a person their credit.
  const needsConfirm = delta < 0 && (-delta >= LARGE_DEBIT || balance + delta < 0);

  function recordAdjustment() {
    setConfirmDebit(false);
    void adjust.run(async () => {
      await api('POST', `/admin/persons/${person.id}/adjustments`, { body: { asset, amount: delta, reason: reason.trim() }, idempotencyKey: newIdempotencyKey() });
      setAmount('');
      setReason('');
      setVersion((v) => v + 1);
      return `Adjustment of ${fmtSigned(delta)} ${asset} recorded.`;
    });
  }

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
          ← All people
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
            if (needsConfirm) setConfirmDebit(true);
            else recordAdjustment();
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
      <PersonLimit personId={person.id} />
      {credit.data && <Refunds flows={history.items} onRefunded={() => setVersion((v) => v + 1)} />}
      <section class="card" aria-labelledby="person-history-title">
        <h3 id="person-history-title">History</h3>
        {credit.data && <HistoryTable flows={history.items} caption="Charges by turn, grants and adjustments, newest first" />}
        {history.more}
      </section>
      <Confirm open={confirmDebit} title={`Take ${fmtAmount(-delta)} ${asset} from ${person.email}?`} confirmLabel="Take the credit" danger onConfirm={recordAdjustment} onCancel={() => setConfirmDebit(false)}>
        <p id="debit-effect">
          Their {asset} balance goes from {fmtAmount(balance)} to {fmtSigned(balance + delta)}
          {balance + delta < 0 ? ', below zero: their turns on the service’s key stop until credit arrives.' : '.'}
        </p>
      </Confirm>
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

/** Everyone, newest first, or those whose address or name contains the search; a row opens the person's page. */
export function PeopleView({ assets }: { assets: string[] }) {
  const personId = useIdInUrl('people');
  const [text, setText] = useState('');
  const [q, setQ] = useState('');
  const list = usePaged<PersonView>(`/admin/persons?${new URLSearchParams({ limit: '20', ...(q && { q }) })}`);
  if (personId) return <PersonById id={personId} assets={assets} />;
  return (
    <section class="card" aria-labelledby="people-title" aria-busy={list.loading}>
      <h2 id="people-title">People</h2>
      <form
        id="lookup"
        class="inline"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          list.restart();
          setQ(text.trim());
        }}
      >
        <Field label="Name or email" id="lookup-text" type="search" value={text} onInput={(e) => setText(e.currentTarget.value)} hint="Any part of a name or an address, any case. Empty: everyone, newest first." />
        <button type="submit">Search</button>
      </form>
      <LoadError error={list.error} />
      {list.data && list.data.items.length === 0 && (
        <p class="muted" id="lookup-status">
          Nobody matches.
        </p>
      )}
      {list.data && list.data.items.length > 0 && (
        <div class="table-wrap">
          <table id="people" class="stack">
            <caption class="visually-hidden">People, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Email</th>
                <th scope="col">Account</th>
                <th scope="col">Since</th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((p) => (
                <tr>
                  <td data-label="Name">
                    <a href={`#people/${p.id}`} aria-label={`Open ${p.email}`}>
                      {p.displayName}
                    </a>
                    {p.role === 'admin' && <span class="muted"> · staff</span>}
                  </td>
                  <td data-label="Email">{p.email}</td>
                  <td data-label="Account">
                    <span class={`badge ${p.accountStatus}`}>{p.accountStatus}</span>
                  </td>
                  <td data-label="Since">{fmtDate(p.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {list.pager}
    </section>
  );
}

function PersonById({ id, assets }: { id: string; assets: string[] }) {
  const person = useLoad(() => api<PersonView>('GET', `/admin/persons/${id}`), [id]);
  return (
    <>
      <LoadError error={person.error} />
      {person.data && <PersonPage key={id} person={person.data} assets={assets} onBack={() => (location.hash = 'people')} />}
    </>
  );
}
