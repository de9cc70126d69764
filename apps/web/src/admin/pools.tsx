import { useState } from 'preact/hooks';
import { api, newIdempotencyKey, type FlowView, type PoolCredit } from '../api';
import { Balances } from '../balances';
import { HistoryTable } from '../history';
import { useLoadMore } from '../paging';
import { Confirm, Field, fmtAmount, fmtDate, fmtLimit, fmtSigned, LoadError, Select, Status, useAction } from '../ui';
import { useIdInUrl } from './id-in-url';
import { Refunds } from './refunds';

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** What staff see of a pool (GET /admin/engagements/:id/credit): balances, active holds, members. */
function PoolOverview({ pool }: { pool: PoolCredit }) {
  return (
    <section class="card" aria-labelledby="pool-credit-title" id="pool-credit">
      <h3 id="pool-credit-title">Balances and members</h3>
      <Balances credit={{ ...pool, tier: null }} />
      <div class="table-wrap">
        <table id="pool-members" class="stack">
          <caption>Members</caption>
          <thead>
            <tr>
              <th scope="col">Member</th>
              <th scope="col">Role</th>
              <th scope="col">Limit</th>
              <th scope="col" class="num">
                Spent this period
              </th>
            </tr>
          </thead>
          <tbody>
            {pool.members.map((m) => (
              <tr>
                <td data-label="Member">
                  {m.displayName} <span class="muted">{m.email}</span>
                </td>
                <td data-label="Role">{m.role}</td>
                <td data-label="Limit">{fmtLimit(m.limit)}</td>
                <td data-label="Spent this period" class="num">
                  {fmtAmount(m.spentThisPeriod)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

/**
 * One team pool: what it holds and who draws on it; staff fund or debit it (idempotent, audited
 * adjustments) and refund what it paid for — its members' turns and API calls, services' captures
 * charged to the pool — from its history, as on a person's page.
 */
function PoolPage({ id, assets }: { id: string; assets: string[] }) {
  const [version, setVersion] = useState(0);
  const history = useLoadMore(`/admin/engagements/${id}/credit?limit=50`, (page: PoolCredit) => page.flows, { label: 'Show older', deps: [version] });
  const pool = history.first;
  const [asset, setAsset] = useState('');
  const [amount, setAmount] = useState('');
  const [reason, setReason] = useState('');
  const [confirmDebit, setConfirmDebit] = useState(false);
  const [recorded, setRecorded] = useState<FlowView[]>([]);
  const adjust = useAction();
  const delta = Math.trunc(Number(amount));

  function record() {
    setConfirmDebit(false);
    adjust.run(async () => {
      const flow = await api<FlowView>('POST', `/admin/engagements/${id}/adjustments`, { body: { asset, amount: delta, reason: reason.trim() }, idempotencyKey: newIdempotencyKey() });
      setRecorded((r) => [flow, ...r]);
      setVersion((v) => v + 1);
      setAmount('');
      setReason('');
      return `${fmtSigned(delta)} ${asset} recorded on the pool.`;
    });
  }

  return (
    <section aria-labelledby="pool-title" id="pool">
      <p>
        <a href="#pools">← Find another pool</a>
      </p>
      <h2 id="pool-title">Team pool</h2>
      <p class="muted">
        Team engagement <code>{id}</code>.{pool.data && <> Its owners manage its members on <a href={`/teams/${id}`}>the team’s page</a>.</>}
      </p>
      <LoadError error={pool.error} />
      {pool.data && <PoolOverview pool={pool.data} />}
      {/* The controls only for a pool that is there: an id no team has shows the server's reason alone. */}
      {pool.data && (
      <div class="grid">
        <form
          class="card"
          id="fund"
          aria-labelledby="fund-title"
          onSubmit={(e) => {
            e.preventDefault();
            // Every debit is confirmed first: a stray minus costs a whole team its credit.
            if (delta < 0) setConfirmDebit(true);
            else record();
          }}
        >
          <h3 id="fund-title">Fund or debit the pool</h3>
          <Select label="Credit" id="fund-asset" required value={asset} onChange={(e) => setAsset(e.currentTarget.value)} options={[['', 'Choose a credit'], ...assets.map((a): [string, string] => [a, a])]} />
          <Field label="Amount" id="fund-amount" type="number" step={1} required value={amount} onInput={(e) => setAmount(e.currentTarget.value)} hint="Positive funds the pool, negative takes credit from it." />
          <Field label="Reason (recorded in the audit log)" id="fund-reason" required maxLength={500} value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
          <button type="submit" disabled={adjust.busy}>
            Record adjustment
          </button>
          <Status message={adjust.message} id="fund-status" />
        </form>
        <section class="card" aria-labelledby="recorded-title">
          <h3 id="recorded-title">Recorded in this visit</h3>
          {recorded.length === 0 ? (
            <p class="muted">Nothing yet. Each adjustment is in the audit log.</p>
          ) : (
            <div class="table-wrap">
              <table id="pool-adjustments" class="stack">
                <caption class="visually-hidden">Adjustments recorded on this pool in this visit, newest first</caption>
                <thead>
                  <tr>
                    <th scope="col">When</th>
                    <th scope="col" class="num">
                      Credits
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {recorded.map((f) => (
                    <tr>
                      <td data-label="When">{fmtDate(f.createdAt)}</td>
                      <td data-label="Credits" class="num">
                        {fmtSigned(f.direction === 'in' ? f.amount : -f.amount)} {f.asset}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </section>
      </div>
      )}
      {pool.data && <Refunds flows={history.items} onRefunded={() => setVersion((v) => v + 1)} />}
      {pool.data && (
        <section class="card" aria-labelledby="pool-history-title">
          <h3 id="pool-history-title">History</h3>
          <HistoryTable flows={history.items} caption="The pool’s charges by turn, fundings and refunds, newest first" />
          {history.more}
        </section>
      )}
      <Confirm open={confirmDebit} title={`Take ${fmtAmount(-delta)} ${asset} from this pool?`} confirmLabel="Take the credit" danger onConfirm={record} onCancel={() => setConfirmDebit(false)}>
        <p id="pool-debit-effect">The pool loses {fmtAmount(-delta)} {asset}. Below zero, every member’s turns on the service’s key stop until it is funded again.</p>
      </Confirm>
    </section>
  );
}

/** Pools: find a team's pool by its engagement id (from the team's page address, /teams/<id>). */
export function PoolsView({ assets }: { assets: string[] }) {
  const id = useIdInUrl('pools');
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  if (id) return <PoolPage key={id} id={id} assets={assets} />;
  return (
    <section class="card" aria-labelledby="pools-title">
      <h2 id="pools-title">Team pools</h2>
      <p class="muted">A team’s pool pays for its members’ turns. Its id is the end of the team’s page address (/teams/…); its owners can tell you.</p>
      <form
        class="inline"
        id="find-pool"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          const value = text.trim().split('/').pop() ?? '';
          if (!UUID.test(value)) {
            setError('Type a team engagement id (36 characters, as in /teams/…) or paste the team page’s address.');
            return;
          }
          setError(null);
          location.hash = `pools/${value.toLowerCase()}`;
        }}
      >
        <Field label="Team engagement id or page address" id="pool-id" required value={text} onInput={(e) => setText(e.currentTarget.value)} />
        <button type="submit">Open pool</button>
      </form>
      <Status message={error ? { kind: 'error', text: error } : null} id="pool-find-status" />
    </section>
  );
}
