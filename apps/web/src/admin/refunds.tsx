import { useState } from 'preact/hooks';
import { api, newIdempotencyKey, type FlowView, type RefundResult } from '../api';
import { groupByTurn } from '../history';
import { Confirm, Field, fmtAmount, fmtDate, fmtSigned, RowMenu, Status, useAction } from '../ui';

/** What a refund names (POST /admin/refunds): a turn, an API call or a captured authorization. */
type Ref = { turnId: string } | { callId: string } | { authorizationId: string };

interface Charge {
  ref: Ref;
  key: string;
  when: string;
  what: string;
  asset: string;
  charged: number;
  refunded: number;
}

const meta = (f: FlowView) => (f.metadata ?? {}) as Record<string, unknown>;
const idOf = (ref: Ref) => Object.values(ref)[0] as string;

/** A person's charges that can be refunded (of their flows): turns, Messages API calls (a "turn" of one `request` stage, whose id is the call's) and captured authorizations. */
function chargesOf(flows: FlowView[]): Charge[] {
  // What was refunded already, by the id of the charge the reversal names.
  const refunded = new Map<string, number>();
  for (const f of flows) {
    if (f.kind !== 'reversal') continue;
    const m = meta(f);
    const id = [m.turnId, m.callId, m.authorizationId].find((v) => typeof v === 'string') as string | undefined;
    if (id) refunded.set(id, (refunded.get(id) ?? 0) + f.amount);
  }
  const charges: Charge[] = [];
  for (const entry of groupByTurn(flows)) {
    if (entry.type === 'turn' && entry.authorization && entry.charged > 0) {
      charges.push({ ref: { authorizationId: entry.turnId }, key: entry.turnId, when: entry.createdAt, what: 'Captured authorization (a service’s charge)', asset: entry.asset, charged: entry.charged, refunded: refunded.get(entry.turnId) ?? 0 });
    } else if (entry.type === 'turn' && entry.charged > 0) {
      const models = [...new Set(entry.stages.map((s) => s.model))].join(', ');
      const call = entry.stages.every((s) => s.stage === 'request');
      charges.push({
        ref: call ? { callId: entry.turnId } : { turnId: entry.turnId },
        key: entry.turnId,
        when: entry.createdAt,
        what: `${call ? 'API call' : 'Conversation turn'} · ${models}`,
        asset: entry.asset,
        charged: entry.charged,
        refunded: refunded.get(entry.turnId) ?? 0,
      });
    }
  }
  return charges;
}

/** The person's charges (of the history loaded on their page), each with a refund action in its menu. */
export function Refunds({ flows, onRefunded }: { flows: FlowView[]; onRefunded: () => void }) {
  const [refunding, setRefunding] = useState<Charge | null>(null);
  const [amount, setAmount] = useState('');
  const [reason, setReason] = useState('');
  const action = useAction();
  const charges = chargesOf(flows);

  function refund() {
    // The dialog's fields are checked as a form's would be (required reason, amount within what is left).
    const fields = ['refund-amount', 'refund-reason'].map((id) => document.getElementById(id) as HTMLInputElement);
    if (!fields.every((f) => f.reportValidity())) return;
    const charge = refunding!;
    const value = amount.trim() === '' ? undefined : Number(amount);
    setRefunding(null);
    action.run(async () => {
      const result = await api<RefundResult>('POST', '/admin/refunds', { body: { ...charge.ref, ...(value !== undefined && { amount: value }), reason: reason.trim() }, idempotencyKey: newIdempotencyKey() });
      setAmount('');
      setReason('');
      onRefunded();
      return `Refunded ${fmtAmount(result.refunded)} ${charge.asset}; ${fmtAmount(result.totalRefunded)} of the ${fmtAmount(charge.charged)} charged is refunded in total.`;
    });
  }

  return (
    <section class="card" aria-labelledby="refunds-title" id="refunds">
      <h3 id="refunds-title">Charges and refunds</h3>
      <p class="muted">Turns, API calls and services’ captures of the history loaded below. A refund returns credit to whoever paid (the person, or a team’s pool), whole or in part, never more than was charged.</p>
      <Status message={action.message} id="refund-status" />
      {charges.length === 0 ? (
        <p class="muted">No charges.</p>
      ) : (
        <div class="table-wrap">
          <table id="charges" class="stack">
            <caption class="visually-hidden">Charges, newest first</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">What</th>
                <th scope="col" class="num">
                  Charged
                </th>
                <th scope="col" class="num">
                  Refunded
                </th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {charges.map((c) => (
                <tr>
                  <td data-label="When">{fmtDate(c.when)}</td>
                  <td data-label="What">{c.what}</td>
                  <td data-label="Charged" class="num">
                    {fmtSigned(-c.charged)} {c.asset}
                  </td>
                  <td data-label="Refunded" class="num">
                    {c.refunded > 0 ? `${fmtSigned(c.refunded)} ${c.asset}` : '—'}
                  </td>
                  <td data-label="Actions">
                    {c.refunded < c.charged && (
                      <RowMenu
                        label={`Actions for the charge of ${fmtDate(c.when)}`}
                        items={[
                          {
                            text: 'Refund…',
                            label: `Refund the charge of ${fmtDate(c.when)} (${idOf(c.ref)})`,
                            onSelect: () => {
                              setAmount('');
                              setRefunding(c);
                            },
                          },
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
      <Confirm open={refunding !== null} title={`Refund ${refunding ? `${fmtAmount(refunding.charged)} ${refunding.asset} charged ${fmtDate(refunding.when)}` : ''}?`} confirmLabel="Refund" onConfirm={refund} onCancel={() => setRefunding(null)}>
        {refunding && (
          <>
            <p>
              {refunding.what}. {refunding.refunded > 0 ? `${fmtAmount(refunding.refunded)} refunded already; ` : ''}at most {fmtAmount(refunding.charged - refunding.refunded)} can still be refunded.
            </p>
            <Field
              label="Credits to refund"
              id="refund-amount"
              type="number"
              min={1}
              max={refunding.charged - refunding.refunded}
              step={1}
              value={amount}
              onInput={(e) => setAmount(e.currentTarget.value)}
              hint={`Empty: all ${fmtAmount(refunding.charged - refunding.refunded)} that is left.`}
            />
            <Field label="Reason (recorded in the audit log)" id="refund-reason" required maxLength={500} value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
          </>
        )}
      </Confirm>
    </section>
  );
}
