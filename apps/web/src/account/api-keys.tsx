import { useState } from 'preact/hooks';
import { api, type ApiKeyView, type CreatedApiKey, type Engagement } from '../api';
import { Confirm, CopyButton, Field, fmtAmount, fmtDate, LoadError, Select, Status, useAction, useLoad } from '../ui';

const PERIODS: Array<[string, string]> = [
  ['day', 'per day'],
  ['week', 'per week'],
  ['month', 'per month'],
];

/** "500 per month (120 spent)", or "no limit of its own". */
function limitText(key: ApiKeyView): string {
  if (!key.limit) return 'no limit of its own';
  return `${fmtAmount(key.limit.amount)} per ${key.limit.period} (${fmtAmount(key.spentThisPeriod)} spent)`;
}

/** The key just created: shown this once, with what an SDK needs beside it. */
function NewKey({ created, onDone }: { created: CreatedApiKey; onDone: () => void }) {
  return (
    <div class="info" id="new-key" role="region" aria-labelledby="new-key-title">
      <h3 id="new-key-title">Your new key “{created.name}”</h3>
      <p>Copy it now: it is shown only this once and can’t be recovered (revoke it and make a new one if it is lost).</p>
      <code class="url" id="new-key-value">
        {created.key}
      </code>
      <div class="actions">
        <CopyButton text={created.key} label="Copy key" />
        <button type="button" class="secondary" onClick={onDone}>
          I have copied it
        </button>
      </div>
      <p class="muted">
        With Anthropic’s SDKs: base URL <code>{location.origin}</code>, API key the one above (e.g. <code>ANTHROPIC_BASE_URL={location.origin}</code>,{' '}
        <code>ANTHROPIC_API_KEY=lw_…</code>).
      </p>
    </div>
  );
}

/**
 * API keys for programs calling the Messages API (/v1/messages) with this account's credit, or a
 * team's pool: create (the key shown once, copyable), list (prefix, limit, last use), revoke.
 */
export function ApiKeysSection() {
  const keys = useLoad(() => api<{ items: ApiKeyView[] }>('GET', '/me/api-keys'));
  const teams = useLoad(async () => (await api<{ items: Engagement[] }>('GET', '/me/engagements')).items.filter((e) => !e.personal));
  const action = useAction();
  const [name, setName] = useState('');
  const [team, setTeam] = useState('');
  const [limit, setLimit] = useState('');
  const [period, setPeriod] = useState('month');
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  const [revoking, setRevoking] = useState<ApiKeyView | null>(null);
  const teamName = (id: string | null) => (id ? (teams.data?.find((t) => t.id === id)?.name ?? 'a team') : null);

  const create = (event: Event) => {
    event.preventDefault();
    void action.run(async () => {
      const amount = limit.trim() === '' ? null : Number(limit);
      const key = await api<CreatedApiKey>('POST', '/me/api-keys', {
        body: { name: name.trim(), ...(team && { engagementId: team }), ...(amount !== null && { limit: { amount, period } }) },
      });
      setCreated(key);
      setName('');
      setLimit('');
      keys.reload();
    });
  };
  const revoke = () => {
    const key = revoking!;
    setRevoking(null);
    void action.run(async () => {
      await api('DELETE', `/me/api-keys/${key.id}`);
      if (created?.id === key.id) setCreated(null);
      keys.reload();
      return `Key “${key.name}” revoked: programs using it are refused from now on.`;
    });
  };

  return (
    <section aria-labelledby="api-keys-title" class="card" id="api-keys">
      <h2 id="api-keys-title">Keys for the Messages API</h2>
      <p class="muted">
        For your programs: Anthropic’s Messages API at <code>{location.origin}/v1/messages</code>, paid from your credit (or a team’s pool) with the same guarantee as your
        turns.
      </p>
      {created && <NewKey created={created} onDone={() => setCreated(null)} />}
      <LoadError error={keys.error} />
      {keys.data && keys.data.items.length === 0 && <p class="muted">No keys yet.</p>}
      <ul class="rows" id="api-key-list">
        {keys.data?.items.map((k) => (
          <li>
            <span class="grow">
              <strong class="api-key-name">{k.name}</strong> <code>{k.prefix}…</code>
              <span class="muted">
                {' '}
                · {teamName(k.engagementId) ? `paid by ${teamName(k.engagementId)}` : 'paid by you'} · {limitText(k)} · created {fmtDate(k.createdAt)} · last used{' '}
                {k.lastUsedAt ? fmtDate(k.lastUsedAt) : 'never'}
              </span>
            </span>
            <button type="button" class="danger" aria-label={`Revoke ${k.name}`} onClick={() => setRevoking(k)}>
              Revoke
            </button>
          </li>
        ))}
      </ul>
      <form id="create-api-key" onSubmit={create}>
        <h3>Create a key</h3>
        <Field label="Name" id="api-key-name" required maxLength={100} hint="What uses it, e.g. “billing service”" value={name} onInput={(e) => setName(e.currentTarget.value)} />
        {teams.data && teams.data.length > 0 && (
          <Select
            label="Paid by"
            id="api-key-team"
            value={team}
            onChange={(e) => setTeam(e.currentTarget.value)}
            options={[['', 'your own credit'], ...teams.data.map((t): [string, string] => [t.id, `the pool of ${t.name}`])]}
          />
        )}
        <Field
          label="Spend limit (optional)"
          id="api-key-limit"
          type="number"
          min={1}
          step={1}
          inputMode="numeric"
          hint="Credits this key may spend per period; empty: no limit of its own"
          value={limit}
          onInput={(e) => setLimit(e.currentTarget.value)}
        />
        {limit.trim() !== '' && <Select label="Limit period" id="api-key-period" value={period} onChange={(e) => setPeriod(e.currentTarget.value)} options={PERIODS} />}
        <button type="submit" disabled={action.busy}>
          Create key
        </button>
      </form>
      <Status message={action.message} id="api-keys-status" />
      <Confirm open={revoking !== null} title="Revoke this key?" confirmLabel="Revoke" danger onConfirm={revoke} onCancel={() => setRevoking(null)}>
        <p>Programs using “{revoking?.name}” are refused from now on. This can’t be undone.</p>
      </Confirm>
    </section>
  );
}
