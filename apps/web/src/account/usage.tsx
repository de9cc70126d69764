import { api, type UsageGroup } from '../api';
import { fmtAmount, LoadError, useLoad } from '../ui';
import { UsageChart } from '../usage-chart';

/** The window the section covers: the last 30 UTC days, today included. */
const DAYS = 30;

/**
 * Usage over time from the server's aggregates (`/me/usage`, summed in SQL over every call —
 * turns and API-key requests alike — not from the flows a page happens to have loaded): credits
 * per day as a chart, and calls, tokens and credits per model.
 */
export function UsageSection() {
  const from = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate() - (DAYS - 1))).toISOString();
  const usage = useLoad(async () => {
    const [days, models] = await Promise.all([
      api<{ items: UsageGroup[] }>('GET', `/me/usage?groupBy=day&from=${encodeURIComponent(from)}`),
      api<{ items: UsageGroup[] }>('GET', `/me/usage?groupBy=model&from=${encodeURIComponent(from)}`),
    ]);
    return { days: days.items, models: models.items };
  });
  return (
    <section aria-labelledby="usage-title" class="card" id="usage">
      <h2 id="usage-title">Usage over time</h2>
      <LoadError error={usage.error} />
      {usage.data && <UsageChart groups={usage.data.days} />}
      {usage.data && usage.data.models.length > 0 && (
        <div class="table-wrap">
          <table class="usage-by-model stack">
            <caption>By model, last {DAYS} days</caption>
            <thead>
              <tr>
                <th scope="col">Model</th>
                <th scope="col" class="num">
                  Calls
                </th>
                <th scope="col" class="num">
                  Tokens in
                </th>
                <th scope="col" class="num">
                  Tokens out
                </th>
                <th scope="col" class="num">
                  Credits
                </th>
              </tr>
            </thead>
            <tbody>
              {usage.data.models.map((m) => (
                <tr>
                  <td data-label="Model">{m.key}</td>
                  <td data-label="Calls" class="num">
                    {fmtAmount(m.calls)}
                  </td>
                  <td data-label="Tokens in" class="num">
                    {fmtAmount(m.inputTokens)}
                  </td>
                  <td data-label="Tokens out" class="num">
                    {fmtAmount(m.outputTokens)}
                  </td>
                  <td data-label="Credits" class="num">
                    {fmtAmount(m.credits)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
