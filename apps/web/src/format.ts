// How the pages write numbers, dates and waits: one format each, everywhere.

/** Credits with thousands separators: 12,500. */
export const fmtAmount = (n: number) => n.toLocaleString('en');
/** A change of credit, always signed: +500, −1,200 (a true minus sign). */
export const fmtSigned = (n: number) => (n > 0 ? `+${fmtAmount(n)}` : n < 0 ? `−${fmtAmount(-n)}` : '0');

/** The one date format of the pages: "5 Dec 2026, 18:09 UTC" — day, time and the reader's time zone. */
export const fmtDate = (iso: string | null | undefined) =>
  iso ? new Date(iso).toLocaleString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' }) : '—';

/** "90 seconds", "15 minutes", "2 hours": how long to wait, rounded up to what a person reads. */
export function fmtWait(seconds: number): string {
  if (seconds < 90) return `${Math.max(1, Math.ceil(seconds))} seconds`;
  if (seconds < 90 * 60) return `${Math.ceil(seconds / 60)} minutes`;
  return `${Math.ceil(seconds / 3600)} hours`;
}

/** A rate in credits per million tokens: "12.5", "100", never "1000/10" (an exact fraction as a decimal; "≈" when it does not end). */
export function fmtRate(value: number | string): string {
  const text = String(value);
  const [n, d = '1'] = text.split('/');
  let numerator = BigInt(n);
  const denominator = BigInt(d);
  const whole = numerator / denominator;
  numerator %= denominator;
  let decimals = '';
  while (numerator !== 0n && decimals.length < 4) {
    numerator *= 10n;
    decimals += String(numerator / denominator);
    numerator %= denominator;
  }
  const shown = Number(whole).toLocaleString('en') + (decimals ? `.${decimals}` : '');
  return numerator === 0n ? shown : `≈ ${shown}`;
}

/** When a rate or setting took effect; the seeded ones carry the epoch, which means "always". */
export const fmtSince = (iso: string) => (Date.parse(iso) <= 0 ? 'from the start' : fmtDate(iso));

/** A limit's period as a reader says it: "a day", "a week", "a month". */
const PER: Record<string, string> = { day: 'a day', week: 'a week', month: 'a month' };
/** The current period of a limit: "today", "this week", "this month" (UTC calendar periods). */
export const THIS_PERIOD: Record<string, string> = { day: 'today', week: 'this week', month: 'this month' };

/** A spend limit: "1,000 credits a day", or "No limit". */
export const fmtLimit = (limit: { amount: number; period: string } | null | undefined) => (limit ? `${fmtAmount(limit.amount)} credits ${PER[limit.period] ?? `a ${limit.period}`}` : 'No limit');
