import type { FlowView } from './api';
import { fmtAmount, fmtDate, fmtSigned } from './ui';

interface Stage {
  stage: string;
  model: string;
  tokens: Record<string, number>;
  credits: number;
}

/** One line of a person's history: a conversation turn (its stages together) or one other flow. */
export type Entry =
  | { type: 'turn'; turnId: string; authorization: boolean; createdAt: string; asset: string; charged: number; held: number; released: boolean; stages: Stage[] }
  | { type: 'flow'; flow: FlowView };

const meta = (f: FlowView) => (f.metadata ?? {}) as Record<string, unknown>;
/**
 * The turn (or authorization) a hold, release or charge belongs to. A service's authorization is
 * held like a turn (its hold flow names the authorization's id as its turn) and released and
 * captured under `authorizationId`: both keys are the same id, so its flows make one entry.
 */
function turnOf(f: FlowView): string | null {
  if (!['consumption', 'hold', 'release'].includes(f.kind)) return null;
  const id = meta(f).turnId ?? meta(f).authorizationId;
  return typeof id === 'string' ? id : null;
}

/**
 * Groups flows (newest first) by turn: a turn's hold, release and stage charges become one entry
 * — what was reserved, what each stage cost (model, tokens) and the total — instead of the
 * unexplained "−1 / −9" pairs of the raw ledger.
 */
export function groupByTurn(flows: FlowView[]): Entry[] {
  const entries: Entry[] = [];
  const turns = new Map<string, Extract<Entry, { type: 'turn' }>>();
  for (const flow of flows) {
    const turnId = turnOf(flow);
    if (!turnId) {
      entries.push({ type: 'flow', flow });
      continue;
    }
    let turn = turns.get(turnId);
    if (!turn) {
      turn = { type: 'turn', turnId, authorization: false, createdAt: flow.createdAt, asset: flow.asset, charged: 0, held: 0, released: false, stages: [] };
      turns.set(turnId, turn);
      entries.push(turn);
    }
    const m = meta(flow);
    if (typeof m.authorizationId === 'string') turn.authorization = true;
    if (flow.kind === 'consumption' && turn.authorization) turn.charged += flow.amount;
    else if (flow.kind === 'consumption') {
      turn.charged += flow.amount;
      turn.stages.unshift({ stage: String(m.stage ?? ''), model: String(m.model ?? ''), tokens: (m.tokens ?? {}) as Record<string, number>, credits: flow.amount });
    } else if (flow.kind === 'hold') turn.held += flow.amount;
    else turn.released = true;
  }
  return entries;
}

const KIND_LABEL: Record<string, string> = {
  issuance: 'Grant claimed',
  adjustment: 'Adjustment by staff',
  zeroing: 'Balance zeroed (account deleted)',
  referral: 'Referral credit',
  reversal: 'Refund',
  hold: 'Reserved for a turn',
  release: 'Reservation released',
  consumption: 'Charge',
};

function tokens(t: Record<string, number>): string {
  const parts = [`${fmtAmount(t.input ?? 0)} in`, `${fmtAmount(t.output ?? 0)} out`];
  if (t.cacheRead) parts.push(`${fmtAmount(t.cacheRead)} cache read`);
  if (t.cacheWrite) parts.push(`${fmtAmount(t.cacheWrite)} cache write`);
  return `${parts.join(' / ')} tokens`;
}

const signed = (direction: 'in' | 'out', amount: number) => fmtSigned(direction === 'in' ? amount : -amount);

/** A turn's headline: charged, still running (its hold is all there is yet), or ended without a charge. */
function turnTitle(entry: Extract<Entry, { type: 'turn' }>): string {
  if (entry.authorization) return entry.charged > 0 ? 'Captured by a service (authorization)' : entry.released ? 'Authorization ended without a charge' : 'Authorization in progress';
  if (entry.stages.length > 0) return entry.stages.every((s) => s.stage === 'request') ? 'API call' : 'Conversation turn';
  if (!entry.released) return 'Turn in progress';
  return 'Turn without a charge (the reservation was released)';
}

/** Still holding credit: no charge yet and the reservation not given back. */
const running = (entry: Extract<Entry, { type: 'turn' }>) => entry.charged === 0 && entry.stages.length === 0 && !entry.released;

export function HistoryTable({ flows, caption }: { flows: FlowView[]; caption: string }) {
  const entries = groupByTurn(flows);
  if (entries.length === 0) return <p class="muted">Nothing yet.</p>;
  return (
    <div class="table-wrap">
      <table class="history stack">
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">What</th>
            <th scope="col" class="num">
              Credits
            </th>
          </tr>
        </thead>
        <tbody>
          {entries.map((entry) =>
            entry.type === 'turn' ? (
              <tr class="turn">
                <td data-label="When">{fmtDate(entry.createdAt)}</td>
                <td data-label="What">
                  <strong>{turnTitle(entry)}</strong>
                  {entry.held > 0 && (
                    <span class="muted">
                      {' '}
                      · {!running(entry) ? `reserved ${fmtAmount(entry.held)} ${entry.authorization ? 'when authorized' : 'before the call'}` : `${fmtAmount(entry.held)} reserved until it finishes`}
                    </span>
                  )}
                  <ul class="stages">
                    {entry.stages.map((s) => (
                      <li>
                        {s.stage}: {s.model}, {tokens(s.tokens)} → {fmtAmount(s.credits)}
                      </li>
                    ))}
                  </ul>
                </td>
                <td data-label="Credits" class="num">
                  {running(entry) ? `${fmtAmount(entry.held)} ${entry.asset} held` : `${fmtSigned(-entry.charged)} ${entry.asset}`}
                </td>
              </tr>
            ) : (
              <tr>
                <td data-label="When">{fmtDate(entry.flow.createdAt)}</td>
                <td data-label="What">
                  {KIND_LABEL[entry.flow.kind] ?? entry.flow.kind}
                  {typeof meta(entry.flow).reason === 'string' && <span class="muted"> · {meta(entry.flow).reason as string}</span>}
                </td>
                <td data-label="Credits" class="num">
                  {signed(entry.flow.direction, entry.flow.amount)} {entry.flow.asset}
                </td>
              </tr>
            ),
          )}
        </tbody>
      </table>
    </div>
  );
}
