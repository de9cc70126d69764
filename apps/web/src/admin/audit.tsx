import { useEffect, useState } from 'preact/hooks';
import { api, type AuditEntry, type PersonView } from '../api';
import { fmtAmount, fmtDate, fmtSigned, LoadError } from '../ui';
import { usePaged } from '../paging';

/** What each action did, in words. */
const ACTIONS: Record<string, string> = {
  'grant.issue': 'Issued a grant',
  'grant.revoke': 'Revoked a grant',
  'grant.reissue': 'Re-issued a claim link',
  'person.adjust': 'Adjusted credit',
  'person.suspend': 'Suspended an account',
  'person.reactivate': 'Reactivated an account',
  'person.delete': 'Deleted an account',
  'person.recovery': 'Made a recovery link',
  'rate.set': 'Set a rate',
  'config.set': 'Changed a setting',
  'webhook.create': 'Added a webhook',
  'webhook.delete': 'Removed a webhook',
};

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

/** Details as a line of text: "amount: −25 · reason: refund" — never raw JSON; empty values left out. */
function detailsText(details: Record<string, unknown>): string {
  const value = (key: string, v: unknown): string =>
    Array.isArray(v)
      ? v.map((x) => value(key, x)).join(', ')
      : v !== null && typeof v === 'object'
        ? Object.entries(v).map(([k, x]) => `${k} ${value(k, x)}`).join(', ')
        : typeof v === 'number'
          ? key === 'amount' ? fmtSigned(v) : fmtAmount(v)
          : typeof v === 'string' && ISO_INSTANT.test(v)
            ? fmtDate(v)
            : typeof v === 'boolean'
              ? (v ? 'yes' : 'no')
              : String(v);
  const entries = Object.entries(details).filter(([, v]) => v !== null && v !== undefined && v !== false);
  if (entries.length === 0) return '—';
  return entries.map(([k, v]) => `${k.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase()}: ${value(k, v)}`).join(' · ');
}

/** Names for the person ids on the page (staff and person subjects), fetched once each. */
function useNames(ids: string[]): Map<string, PersonView> {
  const [names, setNames] = useState(new Map<string, PersonView>());
  const wanted = [...new Set(ids)].filter((id) => !names.has(id));
  useEffect(() => {
    if (wanted.length === 0) return;
    let live = true;
    void Promise.all(wanted.map((id) => api<PersonView>('GET', `/admin/persons/${id}`).catch(() => null))).then((found) => {
      if (!live) return;
      setNames((known) => new Map([...known, ...found.filter((p): p is PersonView => p !== null).map((p): [string, PersonView] => [p.id, p])]));
    });
    return () => {
      live = false;
    };
  }, [wanted.join()]);
  return names;
}

export function AuditView() {
  const audit = usePaged<AuditEntry>('/admin/audit?limit=25');
  const items = audit.data?.items ?? [];
  const names = useNames(items.flatMap((a) => [a.actorPersonId, ...(a.subjectType === 'person' ? [a.subjectId] : [])]));
  const who = (id: string) => {
    const person = names.get(id);
    return person ? (
      <a href={`#people/${id}`} title={person.email}>
        {person.displayName}
      </a>
    ) : (
      <span class="muted">{id.slice(0, 8)}…</span>
    );
  };
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
                <th scope="col">Who</th>
                <th scope="col">What</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {items.map((a) => (
                <tr>
                  <td data-label="When">{fmtDate(a.createdAt)}</td>
                  <td data-label="Who">{who(a.actorPersonId)}</td>
                  <td data-label="What">
                    <strong>{ACTIONS[a.action] ?? a.action}</strong>
                    <br />
                    <span class="muted">
                      {a.subjectType === 'person' ? who(a.subjectId) : a.subjectType === 'config' ? <code>{a.subjectId}</code> : `${a.subjectType} ${a.subjectId.slice(0, 8)}…`}
                    </span>
                  </td>
                  <td data-label="Details">{detailsText(a.details)}</td>
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
