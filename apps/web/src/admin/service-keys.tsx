import { useState } from 'preact/hooks';
import { api, type CreatedServiceKey, type ServiceKeyView } from '../api';
import { Confirm, CopyButton, Field, fmtDate, LoadError, RowMenu, Status, useAction, useLoad } from '../ui';

/**
 * Service keys (lk_…): another service of the operator authorizes and captures credit with one.
 * A new key is shown once, to copy; the server keeps only its hash. Revoking ends it at once.
 */
export function ServiceKeysView() {
  const list = useLoad(() => api<{ items: ServiceKeyView[] }>('GET', '/admin/service-keys'));
  const [name, setName] = useState('');
  const [created, setCreated] = useState<CreatedServiceKey | null>(null);
  const [revoking, setRevoking] = useState<ServiceKeyView | null>(null);
  const create = useAction();
  const act = useAction();

  function revoke() {
    const key = revoking!;
    setRevoking(null);
    act.run(async () => {
      await api('DELETE', `/admin/service-keys/${key.id}`);
      if (created?.id === key.id) setCreated(null);
      list.reload();
      return `Service key “${key.name}” revoked: it no longer authorizes anything.`;
    });
  }

  return (
    <>
      <div class="grid">
        <form
          class="card"
          id="create-service-key"
          aria-labelledby="create-key-title"
          onSubmit={(e) => {
            e.preventDefault();
            create.run(async () => {
              setCreated(await api<CreatedServiceKey>('POST', '/admin/service-keys', { body: { name: name.trim() } }));
              setName('');
              list.reload();
            });
          }}
        >
          <h2 id="create-key-title">New service key</h2>
          <p class="muted">For another service of yours that charges credit for its own work (POST /credit/authorizations, then capture or void).</p>
          <Field label="Name (which service uses it)" id="service-key-name" required maxLength={100} value={name} onInput={(e) => setName(e.currentTarget.value)} />
          <button type="submit" disabled={create.busy}>
            Create key
          </button>
          <Status message={create.message} id="create-key-status" />
        </form>
        <div>
          {created && (
            <section class="card" id="new-service-key" aria-labelledby="new-key-title">
              <h2 id="new-key-title">Key for “{created.name}”</h2>
              <p class="warning">Copy it now: it is shown this once. The server keeps only its hash.</p>
              <code class="url" id="service-key-secret">
                {created.key}
              </code>
              <div class="actions">
                <CopyButton text={created.key} label="Copy key" />
                <button type="button" class="secondary" onClick={() => setCreated(null)}>
                  Done, hide it
                </button>
              </div>
            </section>
          )}
        </div>
      </div>
      <section class="card" aria-labelledby="service-keys-title" aria-busy={list.loading}>
        <h2 id="service-keys-title">Live keys</h2>
        <Status message={act.message} id="service-keys-status" />
        <LoadError error={list.error} />
        {list.data && list.data.items.length === 0 && <p class="muted">No service keys.</p>}
        {list.data && list.data.items.length > 0 && (
          <div class="table-wrap">
            <table id="service-keys" class="stack">
              <caption class="visually-hidden">Live service keys, by name</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Key starts</th>
                  <th scope="col">Created</th>
                  <th scope="col">Last used</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {list.data.items.map((k) => (
                  <tr>
                    <td data-label="Name">{k.name}</td>
                    <td data-label="Key starts">
                      <code>{k.prefix}…</code>
                    </td>
                    <td data-label="Created">{fmtDate(k.createdAt)}</td>
                    <td data-label="Last used">{k.lastUsedAt ? fmtDate(k.lastUsedAt) : 'never'}</td>
                    <td data-label="Actions">
                      <RowMenu label={`Actions for the service key ${k.name}`} items={[{ text: 'Revoke', label: `Revoke the service key ${k.name}`, danger: true, onSelect: () => setRevoking(k) }]} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <Confirm open={revoking !== null} title={`Revoke the service key “${revoking?.name ?? ''}”?`} confirmLabel="Revoke" danger onConfirm={revoke} onCancel={() => setRevoking(null)}>
        <p>The service using it can no longer authorize, capture or void. Authorizations it made stay: another service key may still capture or void them, and what is not captured is released at its expiry.</p>
      </Confirm>
    </>
  );
}
