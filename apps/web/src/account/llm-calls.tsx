import type { LlmCallView, Page } from '../api';
import { useLoadMore } from '../paging';
import { fmtAmount, fmtDate, LoadError } from '../ui';

/** Each status with its badge colour (an interrupted stream was charged within its bound: a warning, not a failure). */
const STATUS_BADGE: Record<LlmCallView['status'], string> = {
  ok: 'badge',
  failed: 'badge failed',
  interrupted: 'badge pending',
};

function what(call: LlmCallView): string {
  if (call.source === 'messages') return 'API call (key)';
  return call.stage === 'classify' ? 'Turn: classify' : 'Turn: reply';
}

function tokens(call: LlmCallView): string {
  if (!call.usage) return 'not reported';
  const { input, output, cacheRead, cacheWrite } = call.usage;
  const parts = [`${fmtAmount(input)} in`, `${fmtAmount(output)} out`];
  if (cacheRead) parts.push(`${fmtAmount(cacheRead)} cache read`);
  if (cacheWrite) parts.push(`${fmtAmount(cacheWrite)} cache write`);
  return parts.join(' / ');
}

/** Every provider call made for this person — turns' stages and API-key requests — newest first, a page at a time. */
export function LlmCallsSection() {
  const { first, items: calls, more } = useLoadMore('/me/llm-calls?limit=20', (page: Page<LlmCallView>) => page.items, { label: 'Show older calls' });
  return (
    <section aria-labelledby="llm-calls-title" class="card" id="llm-calls">
      <h2 id="llm-calls-title">LLM calls</h2>
      <LoadError error={first.error} />
      {first.data && calls.length === 0 && <p class="muted">No calls yet.</p>}
      {calls.length > 0 && (
        <div class="table-wrap">
          <table class="calls stack">
            <caption>Provider calls, newest first</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">What</th>
                <th scope="col">Model</th>
                <th scope="col">Status</th>
                <th scope="col">Tokens</th>
                <th scope="col" class="num">
                  Held
                </th>
                <th scope="col" class="num">
                  Charged
                </th>
              </tr>
            </thead>
            <tbody>
              {calls.map((c) => (
                <tr class={`call call-${c.status}`}>
                  <td data-label="When">{fmtDate(c.startedAt)}</td>
                  <td data-label="What">{what(c)}</td>
                  <td data-label="Model">{c.model}</td>
                  <td data-label="Status">
                    <span class={STATUS_BADGE[c.status]}>{c.status}</span>
                  </td>
                  <td data-label="Tokens">{tokens(c)}</td>
                  <td data-label="Held" class="num">
                    {c.held === null ? '—' : fmtAmount(c.held)}
                  </td>
                  <td data-label="Charged" class="num">
                    {c.asset ? `${fmtAmount(c.charged)} ${c.asset}` : 'not charged (own key)'}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {more}
    </section>
  );
}
