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
  | { type: 'turn'; turnId: string; createdAt: string; asset: string; charged: number; held: number; released: boolean; stages: Stage[] }
  | { type: 'flow'; flow: FlowView };

const meta = (f: FlowView) => (f.metadata ?? {}) as Record<string, unknown>;
const turnOf = (f: FlowView) => (['consumption', 'hold', 'release'].includes(f.kind) && typeof meta(f).turnId === 'string' ? (meta(f).turnId as string) : null);

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
      turn = { type: 'turn', turnId, createdAt: flow.createdAt, asset: flow.asset, charged: 0, held: 0, released: false, stages: [] };
      turns.set(turnId, turn);
      entries.push(turn);
    }
    const m = meta(flow);
    if (flow.kind === 'consumption') {
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
  if (entry.stages.length > 0) return entry.stages.every((s) => s.stage === 'request') ? 'API call' : 'Conversation turn';
  if (!entry.released) return 'Turn in progress';
  return 'Turn without a charge (the reservation was released)';
}

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
                      · {entry.stages.length === 0 && !entry.released ? `${fmtAmount(entry.held)} reserved until it finishes` : `reserved ${fmtAmount(entry.held)} before the call`}
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
                  {entry.stages.length === 0 && !entry.released ? `${fmtAmount(entry.held)} ${entry.asset} held` : `${fmtSigned(-entry.charged)} ${entry.asset}`}
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
