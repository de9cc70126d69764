import { useEffect, useState } from 'preact/hooks';
import { api, newIdempotencyKey, type Eligibility, type GrantView, type IssuedGrant, type MailLogPage } from '../api';
import { Confirm, CopyButton, Field, fmtAmount, fmtDate, LoadError, RowMenu, Select, Status, useAction, useLoad } from '../ui';
import { usePaged } from '../paging';

const KINDS: Array<[string, string]> = [
  ['welcome', 'welcome'],
  ['promo', 'promo'],
  ['referral', 'referral'],
  ['manual', 'manual'],
];

const ELIGIBILITY: Record<string, string> = {
  eligible: 'Eligible: this address has had no grant.',
  duplicate_exact: 'Not eligible: this address already had a grant.',
  duplicate_normalized: 'Not eligible: a variant of this address (dots, +tag …) already had a grant.',
  cooling: 'Not eligible: an account with this address was deleted recently (cooling period).',
};

const DEAD: Record<string, string> = {
  claimed: 'was claimed',
  revoked: 'was revoked',
  expired: 'expired',
};

/**
 * The claim link just issued or re-issued: shown once, with a copy button and what happened to the
 * mail — until the grant's current state (`now`, from the list) says the link died.
 */
function IssuedLink({ issued, now, onDismiss }: { issued: IssuedGrant; now?: GrantView; onDismiss: () => void }) {
  const status = now?.status ?? (Date.parse(issued.grant.expiresAt) <= Date.now() ? 'expired' : 'issued');
  if (status !== 'issued') {
    return (
      <div class="card" id="issued" role="region" aria-label="Claim link">
        <p id="issued-dead">
          The claim link for {issued.grant.recipientEmail} no longer works: the grant {DEAD[status] ?? status}.
        </p>
        <button type="button" class="secondary" onClick={onDismiss}>
          Hide
        </button>
      </div>
    );
  }
  return (
    <div class="card" id="issued" role="region" aria-label="Claim link">
      <p class="ok">
        Grant of {fmtAmount(issued.grant.amount)} {issued.grant.asset} for {issued.grant.recipientEmail} is ready.{' '}
        {issued.mail.status === 'queued' ? 'The link is being mailed to the recipient.' : 'Mail is off: send the link yourself.'}
      </p>
      <p>Claim link (shown once; whoever opens it first can claim the credit):</p>
      <code class="url" id="claim-url">
        {issued.claimUrl}
      </code>
      <div class="actions">
        <CopyButton text={issued.claimUrl} />
        <button type="button" class="secondary" onClick={onDismiss}>
          Hide link
        </button>
      </div>
    </div>
  );
}

function IssueForm({ assets, mailOn, onIssued }: { assets: string[]; mailOn: boolean | undefined; onIssued: (issued: IssuedGrant) => void }) {
  const [email, setEmail] = useState('');
  const [eligibility, setEligibility] = useState<{ email: string; state: string } | null>(null);
  // No default credit: a grant of the dearest tier by a slip of the keyboard is worse than a required choice.
  const [asset, setAsset] = useState('');
  const [kind, setKind] = useState('welcome');
  const [amount, setAmount] = useState('');
  const [days, setDays] = useState('');
  const [sendEmail, setSendEmail] = useState(true);
  const [override, setOverride] = useState(false);
  const [note, setNote] = useState('');
  const check = useAction();
  const issue = useAction();
  const [key, setKey] = useState(newIdempotencyKey());

  // Eligibility is shown as the address is typed (once it looks like one), before anything is issued.
  useEffect(() => {
    const address = email.trim();
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(address) || eligibility?.email === address) return;
    const timer = setTimeout(() => {
      void check.run(async () => {
        const { eligibility: state } = await api<Eligibility>('GET', `/admin/eligibility?email=${encodeURIComponent(address)}`);
        setEligibility({ email: address, state });
      });
    }, 300);
    return () => clearTimeout(timer);
  }, [email]);

  const ineligible = eligibility !== null && eligibility.email === email.trim() && eligibility.state !== 'eligible';

  return (
    <form
      id="issue"
      class="card"
      aria-labelledby="issue-title"
      onSubmit={(e) => {
        e.preventDefault();
        void issue.run(async () => {
          const body = {
            recipientEmail: email.trim(),
            asset,
            kind,
            amount: Number(amount),
            ...(mailOn && { sendEmail }),
            ...(days && { expiresInDays: Number(days) }),
            ...(override && { overrideEligibility: true, note: note.trim() }),
          };
          const issued = await api<IssuedGrant>('POST', '/admin/grants', { body, idempotencyKey: key });
          setKey(newIdempotencyKey());
          setEmail('');
          setAmount('');
          setAsset('');
          setOverride(false);
          setNote('');
          setEligibility(null);
          onIssued(issued);
        });
      }}
    >
      <h2 id="issue-title">Issue a grant</h2>
      <Field
        label="Recipient email"
        id="recipient"
        type="email"
        required
        autocomplete="off"
        value={email}
        onInput={(e) => setEmail(e.currentTarget.value)}
        hint="Its eligibility shows below as you type."
      />
      <div aria-live="polite" id="eligibility">
        {eligibility && eligibility.email === email.trim() && <p class={eligibility.state === 'eligible' ? 'ok' : 'error'}>{ELIGIBILITY[eligibility.state] ?? eligibility.state}</p>}
      </div>
      <Status message={check.message} />
      <Select label="Credit" id="asset" required value={asset} onChange={(e) => setAsset(e.currentTarget.value)} options={[['', 'Choose…'], ...assets.map((a): [string, string] => [a, a])]} />
      <Select label="Kind" id="kind" value={kind} onChange={(e) => setKind(e.currentTarget.value)} options={KINDS} />
      <Field label="Amount (credits)" id="grant-amount" type="number" min={1} step={1} required value={amount} onInput={(e) => setAmount(e.currentTarget.value)} />
      <Field label="Expires in days (optional)" id="grant-days" type="number" min={1} step={1} value={days} onInput={(e) => setDays(e.currentTarget.value)} hint="Empty: the default from the settings." />
      {mailOn ? (
        <div class="check">
          <input type="checkbox" id="send-email" checked={sendEmail} onChange={(e) => setSendEmail(e.currentTarget.checked)} />
          <label for="send-email">Mail the claim link to the recipient</label>
        </div>
      ) : (
        mailOn === false && (
          <p class="hint" id="mail-off">
            Mail is off on this server (no SMTP_URL): you get the claim link to send yourself.
          </p>
        )
      )}
      {(ineligible || override) && (
        <>
          <div class="check">
            <input type="checkbox" id="override" checked={override} onChange={(e) => setOverride(e.currentTarget.checked)} />
            <label for="override">Issue anyway (override eligibility)</label>
          </div>
          {override && <Field label="Why (recorded with the grant)" id="note" required value={note} onInput={(e) => setNote(e.currentTarget.value)} />}
        </>
      )}
      <button type="submit" disabled={issue.busy}>
        Issue grant
      </button>
      <Status message={issue.message} id="issue-status" />
    </form>
  );
}

const STATUS_FILTER: Array<[string, string]> = [
  ['', 'any status'],
  ['issued', 'issued'],
  ['claimed', 'claimed'],
  ['expired', 'expired'],
  ['revoked', 'revoked'],
];

type Pending = { action: 'revoke' | 'reissue'; grant: GrantView } | null;

export function GrantsView({ assets }: { assets: string[] }) {
  const mail = useLoad(() => api<MailLogPage>('GET', '/admin/mail?limit=1'));
  const [issued, setIssued] = useState<IssuedGrant | null>(null);
  const [status, setStatus] = useState('');
  const [email, setEmail] = useState('');
  const [filter, setFilter] = useState({ status: '', email: '' });
  const [pending, setPending] = useState<Pending>(null);
  const act = useAction();

  const q = new URLSearchParams({ limit: '20' });
  if (filter.status) q.set('status', filter.status);
  if (filter.email) q.set('email', filter.email);
  // Refreshed when the console comes back into view and every minute: claims happen elsewhere.
  const list = usePaged<GrantView>(`/admin/grants?${q}`, [], { refresh: true });

  function confirmed() {
    const { action, grant } = pending!;
    setPending(null);
    void act.run(async () => {
      if (action === 'revoke') {
        await api('POST', `/admin/grants/${grant.id}/revoke`);
        // The link of a revoked grant is dead: stop showing it.
        if (issued?.grant.id === grant.id) setIssued(null);
        list.reload();
        return `Grant for ${grant.recipientEmail} revoked.`;
      }
      setIssued(await api<IssuedGrant>('POST', `/admin/grants/${grant.id}/reissue`));
      list.reload();
      return `New claim link for ${grant.recipientEmail}; the old one no longer works.`;
    });
  }

  return (
    <>
      <div class="grid">
        <IssueForm
          assets={assets}
          mailOn={mail.data ? mail.data.mail === 'on' : undefined}
          onIssued={(g) => {
            setIssued(g);
            list.restart();
            list.reload();
          }}
        />
        <div>{issued && <IssuedLink issued={issued} now={list.data?.items.find((g) => g.id === issued.grant.id)} onDismiss={() => setIssued(null)} />}</div>
      </div>
      <section class="card" id="grants-list" aria-labelledby="grants-title" aria-busy={list.loading}>
        <h2 id="grants-title">Grants</h2>
        <form
          class="inline"
          id="grant-filter"
          onSubmit={(e) => {
            e.preventDefault();
            list.restart();
            setFilter({ status, email: email.trim() });
          }}
        >
          <Select label="Status" id="grant-status" value={status} onChange={(e) => setStatus(e.currentTarget.value)} options={STATUS_FILTER} />
          <Field label="Recipient email" id="grant-email" type="email" value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
          <button type="submit">Filter</button>
        </form>
        <Status message={act.message} id="grants-status" />
        <LoadError error={list.error} />
        {list.data && list.data.items.length === 0 && <p class="muted">No grants match.</p>}
        {list.data && list.data.items.length > 0 && (
          <div class="table-wrap">
            <table id="grants" class="stack">
              <caption class="visually-hidden">Grants, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Recipient</th>
                  <th scope="col">Credit</th>
                  <th scope="col">Status</th>
                  <th scope="col">Issued</th>
                  <th scope="col">Expires</th>
                  <th scope="col">Claimed</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {list.data.items.map((g) => (
                  <tr>
                    <td data-label="Recipient">{g.recipientEmail}</td>
                    <td data-label="Credit" class="num">
                      {fmtAmount(g.amount)} {g.asset} <span class="muted">({g.kind})</span>
                    </td>
                    <td data-label="Status">
                      <span class={`badge ${g.status}`}>{g.status}</span>
                    </td>
                    <td data-label="Issued">{fmtDate(g.createdAt)}</td>
                    <td data-label="Expires">{fmtDate(g.expiresAt)}</td>
                    <td data-label="Claimed">{g.claimedAt ? fmtDate(g.claimedAt) : '—'}</td>
                    <td data-label="Actions">
                      {(g.status === 'issued' || g.status === 'expired') && (
                        <RowMenu
                          label={`Actions for the grant for ${g.recipientEmail}`}
                          items={[
                            { text: 'Re-issue link', label: `Re-issue the grant for ${g.recipientEmail}`, onSelect: () => setPending({ action: 'reissue', grant: g }) },
                            { text: 'Revoke', label: `Revoke the grant for ${g.recipientEmail}`, danger: true, onSelect: () => setPending({ action: 'revoke', grant: g }) },
                          ]}
                        />
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {list.pager}
      </section>
      <Confirm
        open={pending !== null}
        title={pending?.action === 'revoke' ? 'Revoke this grant?' : 'Re-issue the claim link?'}
        confirmLabel={pending?.action === 'revoke' ? 'Revoke' : 'Re-issue'}
        danger={pending?.action === 'revoke'}
        onConfirm={confirmed}
        onCancel={() => setPending(null)}
      >
        <p>
          {pending?.action === 'revoke'
            ? `The claim link sent to ${pending.grant.recipientEmail} stops working, and the ${fmtAmount(pending.grant.amount)} ${pending.grant.asset} credits can no longer be claimed.`
            : `A new link replaces the one sent to ${pending?.grant.recipientEmail}; the old link stops working.`}
        </p>
      </Confirm>
    </>
  );
}
