import { useState } from 'preact/hooks';
import { api, type StaffLimit } from '../api';
import { LimitFields, limitInput, limitOf, type LimitInput } from '../limit-fields';
import { fmtAmount, fmtLimit, Status, THIS_PERIOD, useAction } from '../ui';

/** Staff's spend limit on a person's own credit (PUT/DELETE /admin/persons/:id/limit), beside the person's own. */
export function PersonLimit({ personId }: { personId: string }) {
  const [state, setState] = useState<StaffLimit | null>(null);
  // The API answers the limits when they are set (PUT); it has no read of them, so they show once set here.
  const shown = state;
  const [input, setInput] = useState<LimitInput | null>(null);
  const value = input ?? limitInput(shown?.limit);
  const action = useAction();
  return (
    <form
      class="card"
      id="person-limit"
      aria-labelledby="person-limit-title"
      onSubmit={(e) => {
        e.preventDefault();
        const limit = limitOf(value);
        action.run(async () => {
          if (!limit) {
            await api('DELETE', `/admin/persons/${personId}/limit`);
            if (shown) setState({ ...shown, limit: null }); // unknown before: the rest stays unknown
            setInput(null);
            return 'Staff’s limit removed.';
          }
          setState(await api<StaffLimit>('PUT', `/admin/persons/${personId}/limit`, { body: limit }));
          setInput(null);
          return `Limit set: ${fmtLimit(limit)}.`;
        });
      }}
    >
      <h3 id="person-limit-title">Spend limit</h3>
      <p class="muted">Caps what their turns and API calls may spend from their own credit per UTC period. They may set a lower one themselves; the lower applies.</p>
      {shown && (
        <dl class="facts">
          <dt>Staff’s limit</dt>
          <dd id="person-staff-limit">{fmtLimit(shown.limit)}</dd>
          <dt>Their own</dt>
          <dd id="person-self-limit">{fmtLimit(shown.selfLimit)}</dd>
          <dt>Spent</dt>
          <dd id="person-limit-spent">
            {fmtAmount(shown.spentThisPeriod)} credits {THIS_PERIOD[(shown.limit ?? shown.selfLimit)?.period ?? 'month']}
          </dd>
        </dl>
      )}
      {!shown && <p class="hint" id="person-limit-unknown">The limits in force show here once you save one; saving replaces staff’s limit, theirs stays.</p>}
      <LimitFields id="person-limit-input" label="Staff’s limit (credits)" value={value} onChange={setInput} hint="Empty, then Save: no limit from staff." />
      <button type="submit" disabled={action.busy}>
        Save limit
      </button>
      <Status message={action.message} id="person-limit-status" />
    </form>
  );
}
