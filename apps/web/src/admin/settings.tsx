import { useEffect, useState } from 'preact/hooks';
import { api, type Rate, type Setting } from '../api';
import { Field, fmtDate, LoadError, Select, Status, useAction, useLoad } from '../ui';

const TOKEN_KINDS: Array<[string, string]> = [
  ['input', 'input'],
  ['output', 'output'],
  ['cacheRead', 'cache read'],
  ['cacheWrite', 'cache write'],
];

function RatesSection() {
  const rates = useLoad(() => api<{ items: Rate[] }>('GET', '/admin/rates'));
  const [model, setModel] = useState('');
  const [kind, setKind] = useState('input');
  const [value, setValue] = useState('');
  const action = useAction();
  return (
    <section class="card" aria-labelledby="rates-title">
      <h2 id="rates-title">Rates</h2>
      <p class="muted">Credits per million tokens, per model and token kind. A change applies from now on; past charges keep the rates they used.</p>
      <LoadError error={rates.error} />
      {rates.data && (
        <div class="table-wrap">
          <table id="rates" class="stack">
            <caption class="visually-hidden">Rates in force</caption>
            <thead>
              <tr>
                <th scope="col">Model</th>
                <th scope="col">Tokens</th>
                <th scope="col" class="num">
                  Credits / M
                </th>
                <th scope="col">Since</th>
              </tr>
            </thead>
            <tbody>
              {rates.data.items.map((r) => (
                <tr>
                  <td data-label="Model">{r.model}</td>
                  <td data-label="Tokens">{r.tokenKind}</td>
                  <td data-label="Credits / M" class="num">
                    {String(r.creditsPerMillion)}
                  </td>
                  <td data-label="Since">{fmtDate(r.effectiveFrom)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <form
        id="set-rate"
        onSubmit={(e) => {
          e.preventDefault();
          action.run(async () => {
            await api('PUT', '/admin/rates', { body: { model: model.trim(), tokenKind: kind, creditsPerMillion: Number(value) } });
            rates.reload();
            return `Rate for ${model.trim()} ${kind} tokens set to ${value} from now on.`;
          });
        }}
      >
        <h3>Set a rate</h3>
        <Field label="Model" id="rate-model" required list="known-models" value={model} onInput={(e) => setModel(e.currentTarget.value)} />
        <datalist id="known-models">
          {[...new Set(rates.data?.items.map((r) => r.model) ?? [])].map((m) => (
            <option value={m} />
          ))}
        </datalist>
        <Select label="Token kind" id="rate-kind" value={kind} onChange={(e) => setKind(e.currentTarget.value)} options={TOKEN_KINDS} />
        <Field label="Credits per million tokens" id="rate-value" type="number" min={1} step={1} required value={value} onInput={(e) => setValue(e.currentTarget.value)} />
        <button type="submit" disabled={action.busy}>
          Set rate
        </button>
        <Status message={action.message} id="rate-status" />
      </form>
    </section>
  );
}

/** One setting: its typed value as JSON, edited in place (secrets only replaced, never shown). */
function SettingRow({ setting, onSaved }: { setting: Setting; onSaved: () => void }) {
  const shown = setting.secret ? '' : JSON.stringify(setting.value);
  const [text, setText] = useState(shown);
  // A saved value comes back from the server: show it as stored.
  useEffect(() => setText(shown), [shown]);
  const action = useAction();
  const id = `setting-${setting.key}`;
  return (
    <li>
      <form
        class="inline"
        onSubmit={(e) => {
          e.preventDefault();
          action.run(async () => {
            let value: unknown;
            if (setting.secret) value = text;
            else {
              try {
                value = JSON.parse(text);
              } catch {
                throw new Error('Not a valid value: numbers as they are, text in "quotes", lists and objects as JSON.');
              }
            }
            await api('PUT', `/admin/config/${encodeURIComponent(setting.key)}`, { body: { value } });
            onSaved();
            return 'Saved.';
          });
        }}
      >
        {setting.secret ? (
          <Field
            label={setting.key}
            id={id}
            type="password"
            autocomplete="off"
            value={text}
            placeholder={setting.isSet ? 'set — type to replace' : 'not set'}
            onInput={(e) => setText(e.currentTarget.value)}
          />
        ) : (
          <Field label={setting.key} id={id} autocomplete="off" spellcheck={false} value={text} onInput={(e) => setText(e.currentTarget.value)} />
        )}
        <button type="submit" class="secondary" disabled={action.busy || (!setting.secret && text === shown)} aria-label={`Save ${setting.key}`}>
          Save
        </button>
      </form>
      <Status message={action.message} />
    </li>
  );
}

function ConfigSection() {
  const config = useLoad(() => api<{ items: Setting[] }>('GET', '/admin/config'));
  return (
    <section class="card" aria-labelledby="config-title">
      <h2 id="config-title">Configuration</h2>
      <p class="muted">Typed values: numbers as they are, text in "quotes", lists and objects as JSON. Secrets are never shown.</p>
      <LoadError error={config.error} />
      <ul class="rows settings" id="config">
        {config.data?.items.map((s) => (
          <SettingRow key={s.key} setting={s} onSaved={config.reload} />
        ))}
      </ul>
    </section>
  );
}

export function SettingsView() {
  return (
    <div class="grid">
      <RatesSection />
      <ConfigSection />
    </div>
  );
}
