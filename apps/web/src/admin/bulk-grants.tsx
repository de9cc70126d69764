import { useState } from 'preact/hooks';
import { answerOf, api, ApiError, newIdempotencyKey, type BulkGrantResult as BulkResult, type MailLogPage } from '../api';
import { CopyButton, Status, useAction, useLoad } from '../ui';

const STATUS_TEXT: Record<string, string> = { issued: 'Issued', would_issue: 'Will be issued', ineligible: 'Not eligible', invalid: 'Invalid' };

/** POST /admin/grants/bulk with the file as text/csv: a dry run first, then the real run under one Idempotency-Key. */
async function upload(csv: string, dryRun: boolean, key?: string): Promise<BulkResult> {
  let res: Response;
  try {
    res = await fetch(`/admin/grants/bulk${dryRun ? '?dryRun=true' : ''}`, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'text/csv', ...(key && { 'idempotency-key': key }) },
      body: csv,
    });
  } catch {
    throw new ApiError('The server could not be reached. Check your connection and try again.', 0, 'network_error');
  }
  return answerOf<BulkResult>(res);
}

/**
 * Bulk grants from a CSV file (header recipientEmail,asset,kind,amount[,expiresInDays][,note],
 * at most 10,000 rows): choosing a file shows the dry run, row by row; issuing runs it for real
 * (the claim links are mailed) and shows each row's outcome.
 */
export function BulkGrantsView() {
  const [csv, setCsv] = useState<string | null>(null);
  const [preview, setPreview] = useState<BulkResult | null>(null);
  const [result, setResult] = useState<BulkResult | null>(null);
  const [key, setKey] = useState(newIdempotencyKey());
  const action = useAction();
  // Whether the server mails at all (no SMTP_URL: the links must be sent by hand), as the single grant form says.
  const mail = useLoad(() => api<MailLogPage>('GET', '/admin/mail?limit=1'));
  const shown = result ?? preview;
  const willIssue = preview?.items.filter((i) => i.status === 'would_issue').length ?? 0;
  return (
    <section class="card" aria-labelledby="bulk-title" id="bulk-grants">
      <h2 id="bulk-title">Bulk grants from a CSV file</h2>
      <p class="hint">
        Header <code>recipientEmail,asset,kind,amount[,expiresInDays][,note]</code>, at most 10,000 rows. You see what would happen before anything is issued.
      </p>
      <label for="bulk-file">CSV file</label>
      <input
        id="bulk-file"
        type="file"
        accept=".csv,text/csv"
        onChange={(e) => {
          const file = (e.currentTarget as HTMLInputElement).files?.[0];
          if (!file) return;
          action.run(async () => {
            const text = await file.text();
            setCsv(text);
            setResult(null);
            setKey(newIdempotencyKey());
            const dry = await upload(text, true);
            setPreview(dry);
            return `Dry run: ${dry.items.filter((i) => i.status === 'would_issue').length} of ${dry.items.length} rows would be issued; nothing was issued yet.`;
          });
        }}
      />
      {preview && !result && csv && (
        <button
          type="button"
          id="bulk-issue"
          disabled={action.busy || willIssue === 0}
          onClick={() =>
            action.run(async () => {
              const done = await upload(csv, false, key);
              setResult(done);
              return mail.data?.mail === 'off'
                ? `Issued ${done.issued} grants. Mail is off on this server: copy each claim link below and send it yourself.`
                : `Issued ${done.issued} grants; their claim links are being mailed.`;
            })
          }
        >
          Issue {willIssue} grants
        </button>
      )}
      <Status message={action.message} id="bulk-status" />
      {shown && (
        <div class="table-wrap">
          <table id="bulk-rows" class="stack">
            <caption>{result ? 'Result, row by row' : 'Dry run, row by row'}</caption>
            <thead>
              <tr>
                <th scope="col">Row</th>
                <th scope="col">Outcome</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {shown.items.map((item) => (
                <tr key={item.row}>
                  <td data-label="Row">{item.row}</td>
                  <td data-label="Outcome">{STATUS_TEXT[item.status] ?? item.status}</td>
                  <td data-label="Details">
                    {item.grant ? `${item.grant.recipientEmail}: ${item.grant.amount} ${item.grant.asset}` : (item.error ?? '')}
                    {item.claimUrl && <CopyButton text={item.claimUrl} />}
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
