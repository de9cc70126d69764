import { api, ApiError, type LedgerVerification as Verification, type ReconciliationRun as Run } from '../api';
import { fmtAmount, fmtDate, LoadError, Status, useAction, useLoad } from '../ui';

function VerifySection() {
  const verify = useLoad(() => api<Verification>('GET', '/admin/ledger/verify'));
  const v = verify.data;
  const problems = v
    ? [
        ...v.drift.map((d) => `Balance drift: ${d.party} ${d.asset} is ${fmtAmount(d.balance)}, its flows sum to ${fmtAmount(d.sumOfFlows)}`),
        ...v.unbalancedAssets.map((u) => `${u.asset}: balances sum to ${fmtAmount(u.sum)}, not 0`),
        ...v.duplicateIdempotencyKeys.map((k) => `Idempotency key used twice: ${k}`),
        ...v.heldMismatch.map((h) => `${h.asset}: held ${fmtAmount(h.held)} but active holds total ${fmtAmount(h.activeHolds)}`),
        ...(v.unexplainedNegativeBalances ?? []).map((n) => `Person ${n.personId} is at ${fmtAmount(n.balance)} ${n.asset} without a recorded cause`),
      ]
    : [];
  return (
    <section class="card" aria-labelledby="verify-title" id="verify">
      <h2 id="verify-title">Ledger verification</h2>
      <LoadError error={verify.error} />
      {v && (
        <>
          <p class={v.ok ? 'ok' : 'error'} id="verify-result">
            {v.ok ? `Consistent: ${fmtAmount(v.checkedFlows)} flows checked, every invariant holds.` : `${fmtAmount(problems.length)} ${problems.length === 1 ? 'problem' : 'problems'} in ${fmtAmount(v.checkedFlows)} flows:`}
          </p>
          {problems.length > 0 && (
            <ul>
              {problems.map((p) => (
                <li>{p}</li>
              ))}
            </ul>
          )}
        </>
      )}
      <button type="button" class="secondary" onClick={verify.reload} disabled={verify.loading}>
        Verify again
      </button>
      <p>
        <a href="/admin/ledger/export" download id="ledger-export">
          Export every flow (CSV, with the seal covering each)
        </a>
      </p>
    </section>
  );
}

/** "1 finding", "3 findings". */
export const findingsCount = (n: number) => `${fmtAmount(n)} ${n === 1 ? 'finding' : 'findings'}`;

/** What each finding kind means, in words, with its ids and amounts (README's reconciler table). */
function findingText(kind: string, d: Record<string, unknown>): string {
  const v = (key: string) => String(d[key] ?? '?');
  switch (kind) {
    case 'expired_holds_released':
      return `${v('released')} reservations of turns that never finished were past their time and were released.`;
    case 'balance_drift':
      return `Balance drift: ${v('party')} holds ${v('balance')} ${v('asset')}, but its flows sum to ${v('sumOfFlows')}.`;
    case 'unbalanced_asset':
      return `${v('asset')}: all balances sum to ${v('sum')}, not 0.`;
    case 'duplicate_idempotency_key':
      return `One idempotency key on two flows: ${v('idempotencyKey')}.`;
    case 'held_mismatch':
      return `${v('asset')}: ${v('held')} held, but the active reservations total ${v('activeHolds')}.`;
    case 'unexplained_negative_balance':
      return `Person ${v('personId')} is at ${v('balance')} ${v('asset')} with no recorded cause.`;
    case 'turn_without_consumption':
      return `Turn ${v('turnId')} (person ${v('personId')}) ran on the service's key without a charge.`;
    case 'outbox_overdue':
      return `${v('pending')} mails or events are waiting; the most overdue for ${v('overdueSeconds')} s: no worker is sending them.`;
    default:
      return `${kind}: ${Object.entries(d)
        .map(([key, value]) => `${key} ${String(value)}`)
        .join(', ')}`;
  }
}

function ReconciliationSection() {
  const latest = useLoad(() =>
    api<Run>('GET', '/admin/reconciliation').catch((error: unknown) => {
      if (error instanceof ApiError && error.code === 'reconciliation_not_found') return null;
      throw error;
    }),
  );
  const action = useAction();
  const run = latest.data;
  return (
    <section class="card" aria-labelledby="recon-title" id="reconciliation">
      <h2 id="recon-title">Reconciliation</h2>
      <p class="muted">The reconciler checks the ledger, expires stale holds and looks for turns without their charge, on a schedule and on demand.</p>
      <LoadError error={latest.error} />
      {latest.data === null && <p id="recon-result">No run yet.</p>}
      {run && (
        <>
          <p id="recon-result" class={run.ok ? 'ok' : 'error'} data-run-id={run.id}>
            Latest run {fmtDate(run.startedAt)} ({run.trigger === 'manual' ? 'run by staff' : 'scheduled'}): {run.ok ? 'no findings.' : `${findingsCount(run.findings.length)}:`}
          </p>
          {run.findings.length > 0 && (
            <ul id="recon-findings">
              {run.findings.map((f) => (
                <li>{findingText(f.kind, f.detail)}</li>
              ))}
            </ul>
          )}
        </>
      )}
      <button
        type="button"
        disabled={action.busy}
        onClick={() =>
          action.run(async () => {
            const done = await api<Run>('POST', '/admin/reconciliation');
            latest.reload();
            // Findings are shown above as the latest run: this only says the run is done (an error when it found something).
            if (!done.ok) throw new Error(`Run finished with ${findingsCount(done.findings.length)}, listed above.`);
            return 'Run finished: no findings.';
          })
        }
      >
        Run now
      </button>
      <Status message={action.message} id="recon-status" />
    </section>
  );
}

export function LedgerView() {
  return (
    <div class="grid">
      <VerifySection />
      <ReconciliationSection />
    </div>
  );
}
