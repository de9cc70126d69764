import { api, ApiError } from '../api';
import { fmtAmount, fmtDate, LoadError, Status, useAction, useLoad } from '../ui';

interface Verification {
  ok: boolean;
  checkedFlows: number;
  drift: Array<{ party: string; asset: string; balance: number; sumOfFlows: number }>;
  unbalancedAssets: Array<{ asset: string; sum: number }>;
  duplicateIdempotencyKeys: string[];
  heldMismatch: Array<{ asset: string; held: number; activeHolds: number }>;
  unexplainedNegativeBalances?: Array<{ personId: string; asset: string; balance: number }>;
}

interface Run {
  id: string;
  startedAt: string;
  finishedAt: string | null;
  ok: boolean;
  findings: Array<{ kind: string; detail: unknown }>;
}

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
            {v.ok ? `Consistent: ${fmtAmount(v.checkedFlows)} flows checked, every invariant holds.` : `${problems.length} problems in ${fmtAmount(v.checkedFlows)} flows:`}
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
    </section>
  );
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
          <p id="recon-result" class={run.ok ? 'ok' : 'error'}>
            Latest run {fmtDate(run.startedAt)}: {run.ok ? 'no findings.' : `${run.findings.length} findings.`}
          </p>
          {run.findings.length > 0 && (
            <ul>
              {run.findings.map((f) => (
                <li>
                  <strong>{f.kind}</strong> <code>{JSON.stringify(f.detail)}</code>
                </li>
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
            return done.ok ? 'Run finished: no findings.' : `Run finished with ${done.findings.length} findings.`;
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
