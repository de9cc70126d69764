import { useState } from 'preact/hooks';
import { api, type SelfLimit } from '../api';
import { LimitFields, limitInput, limitOf, type LimitInput } from '../limit-fields';
import { fmtAmount, fmtLimit, LoadError, Status, THIS_PERIOD, useAction, useLoad } from '../ui';

/** A person's own spend limit on their credit (PUT/DELETE /me/limit), beside the one staff set. */
export function LimitSection() {
  const current = useLoad(() => api<SelfLimit>('GET', '/me/limit'));
  const [state, setState] = useState<SelfLimit | null>(null);
  const shown = state ?? current.data ?? null;
  const [input, setInput] = useState<LimitInput | null>(null);
  const value = input ?? limitInput(shown?.limit);
  const action = useAction();
  return (
    <section aria-labelledby="limit-title" class="card" id="limit">
      <h2 id="limit-title">Your spend limit</h2>
      <p class="muted">Caps what your turns may spend from your own credit per period (UTC calendar day, week from Monday, or month). Staff may set one too; the lower applies.</p>
      {shown && (
        <dl class="facts" id="limit-facts">
          <dt>Your limit</dt>
          <dd id="self-limit">{fmtLimit(shown.limit)}</dd>
          <dt>Staff’s limit</dt>
          <dd id="staff-limit">{fmtLimit(shown.staffLimit)}</dd>
          <dt>Spent</dt>
          <dd id="limit-spent">
            {fmtAmount(shown.spentThisPeriod)} credits {THIS_PERIOD[(shown.limit ?? shown.staffLimit)?.period ?? 'month']}
          </dd>
        </dl>
      )}
      <LoadError error={current.error} />
      <form
        onSubmit={(e) => {
          e.preventDefault();
          const limit = limitOf(value);
          action.run(async () => {
            if (!limit) {
              await api('DELETE', '/me/limit');
              setState(null);
              current.reload();
              setInput(null);
              return 'Your own limit is removed.';
            }
            setState(await api<SelfLimit>('PUT', '/me/limit', { body: limit }));
            setInput(null);
            return `Your limit is now ${fmtLimit(limit)}.`;
          });
        }}
      >
        <LimitFields id="self-limit-input" label="Your limit (credits)" value={value} onChange={setInput} hint="Empty, then Save: no limit of your own." />
        <div class="actions">
          <button type="submit" disabled={action.busy}>
            Save limit
          </button>
        </div>
      </form>
      <Status message={action.message} id="limit-status" />
    </section>
  );
}
