import type { AuditEntry } from '../api';
import { fmtDate, LoadError } from '../ui';
import { usePaged } from './paging';

export function AuditView() {
  const audit = usePaged<AuditEntry>('/admin/audit?limit=25');
  return (
    <section class="card" aria-labelledby="audit-title">
      <h2 id="audit-title">Audit log</h2>
      <p class="muted">Every staff action, newest first, written in the same transaction as the action.</p>
      <LoadError error={audit.error} />
      {audit.data && (
        <div class="table-wrap">
          <table id="audit" class="stack">
            <caption class="visually-hidden">Staff actions, newest first</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Action</th>
                <th scope="col">Subject</th>
                <th scope="col">Details</th>
                <th scope="col">By</th>
              </tr>
            </thead>
            <tbody>
              {audit.data.items.map((a) => (
                <tr>
                  <td data-label="When">{fmtDate(a.createdAt)}</td>
                  <td data-label="Action">
                    <strong>{a.action}</strong>
                  </td>
                  <td data-label="Subject">
                    {a.subjectType} <code>{a.subjectId}</code>
                  </td>
                  <td data-label="Details">
                    <code>{Object.keys(a.details).length ? JSON.stringify(a.details) : '—'}</code>
                  </td>
                  <td data-label="By">
                    <code>{a.actorPersonId}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {audit.pager}
    </section>
  );
}
