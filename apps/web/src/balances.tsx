import type { CreditView } from './api';
import { fmtAmount, fmtDate } from './ui';

/** Balances (available and held) and the active holds of a person. */
export function Balances({ credit }: { credit: CreditView }) {
  return (
    <>
      {credit.balances.length === 0 ? (
        <p class="muted">No credit yet.</p>
      ) : (
        <div class="table-wrap">
          <table id="balances">
            <caption>Balances</caption>
            <thead>
              <tr>
                <th scope="col">Credit</th>
                <th scope="col" class="num">
                  Available
                </th>
                <th scope="col" class="num">
                  Held
                </th>
              </tr>
            </thead>
            <tbody>
              {credit.balances.map((b) => (
                <tr>
                  <th scope="row">{b.asset}</th>
                  <td class="num">{fmtAmount(b.amount)}</td>
                  <td class="num">{fmtAmount(b.held)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p class="hint">Held: reserved by turns still running; what they don’t use comes back.</p>
        </div>
      )}
      {(credit.holds ?? []).length > 0 && (
        <ul class="holds" aria-label="Reservations of turns in progress">
          {credit.holds!.map((h) => (
            <li>
              {fmtAmount(h.amount)} {h.asset} reserved at {fmtDate(h.createdAt)} (until {fmtDate(h.expiresAt)} at the latest)
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

