import { useState } from 'preact/hooks';
import { api, type CreatedWebhook, type Delivery, type EventItem, type MailLogItem, type Webhook } from '../api';
import { Confirm, CopyButton, Field, fmtDate, LoadError, Select, Status, useAction, useLoad } from '../ui';
import { usePaged } from '../paging';

const EVENT_TYPES = [
  'grant.issued',
  'grant.claimed',
  'grant.revoked',
  'credit.low',
  'credit.exhausted',
  'account.suspended',
  'account.reactivated',
  'account.deleted',
  'hold.exceeded',
  'ledger.drift',
];

function Deliveries({ webhook }: { webhook: Webhook }) {
  const list = usePaged<Delivery>(`/admin/webhooks/${webhook.id}/deliveries?limit=10`);
  return (
    <div class="deliveries">
      <LoadError error={list.error} />
      {list.data && list.data.items.length === 0 && <p class="muted">No deliveries yet.</p>}
      {list.data && list.data.items.length > 0 && (
        <div class="table-wrap">
          <table class="stack">
            <caption>Deliveries to {webhook.url}</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Event</th>
                <th scope="col">Attempt</th>
                <th scope="col">Result</th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((d) => (
                <tr>
                  <td data-label="When">{fmtDate(d.at)}</td>
                  <td data-label="Event">{d.eventType}</td>
                  <td data-label="Attempt">{d.attempt}</td>
                  <td data-label="Result">
                    <span class={`badge ${d.status}`}>{d.status}</span> {d.responseStatus ?? ''}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {list.pager}
    </div>
  );
}

function WebhooksSection() {
  const hooks = useLoad(() => api<{ items: Webhook[] }>('GET', '/admin/webhooks'));
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [events, setEvents] = useState<string[]>([]);
  const [secret, setSecret] = useState<string | null>(null);
  const [removing, setRemoving] = useState<Webhook | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const action = useAction();
  return (
    <section class="card" aria-labelledby="webhooks-title" id="webhooks">
      <h2 id="webhooks-title">Webhooks</h2>
      <LoadError error={hooks.error} />
      {hooks.data && hooks.data.items.length === 0 && <p class="muted">No endpoints yet.</p>}
      <ul class="rows">
        {hooks.data?.items.map((h) => (
          <li>
            <span class="grow">
              <strong>{h.url}</strong> {h.failing ? <span class="badge failed">failing</span> : <span class="badge claimed">healthy</span>}
              <br />
              <span class="muted">
                {h.events.join(', ')} · last delivery {fmtDate(h.lastDeliveryAt)}
                {h.description && ` · ${h.description}`}
              </span>
            </span>
            <button type="button" class="secondary" aria-expanded={open === h.id} onClick={() => setOpen(open === h.id ? null : h.id)}>
              Deliveries
            </button>
            <button type="button" class="danger" aria-label={`Remove the webhook ${h.url}`} onClick={() => setRemoving(h)}>
              Remove
            </button>
            {open === h.id && <Deliveries webhook={h} />}
          </li>
        ))}
      </ul>
      <form
        id="add-webhook"
        onSubmit={(e) => {
          e.preventDefault();
          action.run(async () => {
            if (events.length === 0) throw new Error('Choose at least one event type.');
            const created = await api<CreatedWebhook>('POST', '/admin/webhooks', { body: { url: url.trim(), events, ...(description.trim() && { description: description.trim() }) } });
            setSecret(created.secret);
            setUrl('');
            setDescription('');
            setEvents([]);
            hooks.reload();
            return 'Endpoint added.';
          });
        }}
      >
        <h3>Add an endpoint</h3>
        <Field label="URL" id="webhook-url" type="url" required value={url} onInput={(e) => setUrl(e.currentTarget.value)} hint="https, on a public host." />
        <Field label="Description (optional)" id="webhook-description" value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
        <fieldset>
          <legend>Events</legend>
          <div class="checks">
            {EVENT_TYPES.map((type) => (
              <div class="check">
                <input
                  type="checkbox"
                  id={`event-${type}`}
                  checked={events.includes(type)}
                  onChange={(e) => setEvents(e.currentTarget.checked ? [...events, type] : events.filter((t) => t !== type))}
                />
                <label for={`event-${type}`}>{type}</label>
              </div>
            ))}
          </div>
        </fieldset>
        <button type="submit" disabled={action.busy}>
          Add endpoint
        </button>
        <Status message={action.message} id="webhook-status" />
      </form>
      {secret && (
        <div class="card" id="webhook-secret">
          <p>Signing secret (shown once; the receiver verifies deliveries with it):</p>
          <code class="url">{secret}</code>
          <CopyButton text={secret} label="Copy secret" />
        </div>
      )}
      <Confirm
        open={removing !== null}
        title="Remove this endpoint?"
        confirmLabel="Remove"
        danger
        onConfirm={() => {
          const hook = removing!;
          setRemoving(null);
          action.run(async () => {
            await api('DELETE', `/admin/webhooks/${hook.id}`);
            hooks.reload();
            return `${hook.url} no longer receives events.`;
          });
        }}
        onCancel={() => setRemoving(null)}
      >
        <p>{removing?.url} stops receiving events at once.</p>
      </Confirm>
    </section>
  );
}

const MAIL_STATUS: Array<[string, string]> = [
  ['', 'any status'],
  ['pending', 'pending'],
  ['sent', 'sent'],
  ['failed', 'failed'],
];

function MailSection() {
  const [status, setStatus] = useState('');
  const mail = usePaged<MailLogItem>(`/admin/mail?${new URLSearchParams({ limit: '20', ...(status && { status }) })}`);
  return (
    <section class="card" aria-labelledby="mail-title" id="mail">
      <h2 id="mail-title">Mail</h2>
      <p class="muted">What was sent or is waiting, newest first (never a body or a link). With mail off (no SMTP_URL) nothing is queued.</p>
      <Select
        label="Status"
        id="mail-status-filter"
        value={status}
        onChange={(e) => {
          mail.restart();
          setStatus(e.currentTarget.value);
        }}
        options={MAIL_STATUS}
      />
      <LoadError error={mail.error} />
      {mail.data && mail.data.items.length === 0 && <p class="muted">No mail.</p>}
      {mail.data && mail.data.items.length > 0 && (
        <div class="table-wrap">
          <table class="stack" id="mail-log">
            <caption class="visually-hidden">Mails, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Queued</th>
                <th scope="col">To</th>
                <th scope="col">Mail</th>
                <th scope="col">Status</th>
                <th scope="col">Last error</th>
              </tr>
            </thead>
            <tbody>
              {mail.data.items.map((m) => (
                <tr>
                  <td data-label="Queued">{fmtDate(m.createdAt)}</td>
                  <td data-label="To">{m.to}</td>
                  <td data-label="Mail">{m.template.replace(/_/g, ' ')}</td>
                  <td data-label="Status">
                    <span class={`badge ${m.status}`}>{m.status}</span> {m.status === 'sent' ? fmtDate(m.sentAt) : `${m.attempts} attempts`}
                  </td>
                  <td data-label="Last error">{m.lastError ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {mail.pager}
    </section>
  );
}

function EventsSection() {
  const [type, setType] = useState('');
  const events = usePaged<EventItem>(`/admin/events?${new URLSearchParams({ limit: '20', ...(type && { type }) })}`);
  return (
    <section class="card" aria-labelledby="events-title">
      <h2 id="events-title">Events</h2>
      <Select
        label="Type"
        id="event-type-filter"
        value={type}
        onChange={(e) => {
          events.restart();
          setType(e.currentTarget.value);
        }}
        options={[['', 'any type'], ...EVENT_TYPES.map((t): [string, string] => [t, t])]}
      />
      <LoadError error={events.error} />
      {events.data && events.data.items.length === 0 && <p class="muted">No events.</p>}
      <ul class="rows" id="events">
        {events.data?.items.map((ev) => (
          <li>
            <span class="grow">
              <strong>{ev.type}</strong> <span class="muted">{fmtDate(ev.createdAt)}</span>
              <br />
              <code>{JSON.stringify(ev.data)}</code>
            </span>
          </li>
        ))}
      </ul>
      {events.pager}
    </section>
  );
}

export function OpsView() {
  return (
    <>
      <div class="grid">
        <WebhooksSection />
        <MailSection />
      </div>
      <EventsSection />
    </>
  );
}
