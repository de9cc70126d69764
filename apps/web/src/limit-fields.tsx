import { Field, Select } from './ui';

/** What a limit form holds: the amount as typed (empty: no limit) and the period. */
export interface LimitInput {
  amount: string;
  period: 'day' | 'week' | 'month';
}

export const NO_LIMIT: LimitInput = { amount: '', period: 'month' };

const PERIODS: Array<[string, string]> = [
  ['day', 'per day (UTC)'],
  ['week', 'per week (from Monday, UTC)'],
  ['month', 'per month (UTC)'],
];

/** A limit as the form shows it (a stored limit, or none). */
export const limitInput = (limit: { amount: number; period: 'day' | 'week' | 'month' } | null | undefined): LimitInput =>
  limit ? { amount: String(limit.amount), period: limit.period } : NO_LIMIT;

/** The API's `Limit` from the form, or null when the amount is empty (no limit). */
export function limitOf(input: LimitInput): { amount: number; period: 'day' | 'week' | 'month' } | null {
  const text = input.amount.trim().replace(/[,\s]/g, '');
  return text === '' ? null : { amount: Number(text), period: input.period };
}

/** Amount and period of a spend limit; `id` prefixes the inputs' ids. */
export function LimitFields({ id, value, onChange, label = 'Spend limit (credits)', hint = 'Empty: no limit.', required }: { id: string; value: LimitInput; onChange: (v: LimitInput) => void; label?: string; hint?: string; required?: boolean }) {
  return (
    <div class="limit-fields">
      <Field label={label} id={`${id}-amount`} type="number" min={1} step={1} inputMode="numeric" required={required} value={value.amount} hint={hint} onInput={(e) => onChange({ ...value, amount: e.currentTarget.value })} />
      <Select label="Period" id={`${id}-period`} value={value.period} options={PERIODS} onChange={(e) => onChange({ ...value, period: e.currentTarget.value as LimitInput['period'] })} />
    </div>
  );
}
