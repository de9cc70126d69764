import { useEffect, useState } from 'preact/hooks';
import { api, type Rate, type Setting } from '../api';
import { fmtRate, fmtSince } from '../format';
import { Field, LoadError, Select, Status, useAction, useLoad } from '../ui';

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
                  <td data-label="Tokens">{TOKEN_KINDS.find(([kind]) => kind === r.tokenKind)?.[1] ?? r.tokenKind}</td>
                  <td data-label="Credits / M" class="num">
                    {fmtRate(r.creditsPerMillion)}
                  </td>
                  <td data-label="Since">{fmtSince(r.effectiveFrom)}</td>
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
            return `Rate for ${model.trim()} ${kind} tokens set to ${fmtRate(value)} from now on.`;
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

/** What each setting does, in the words staff read it by (the key stays shown for the API and the docs). */
const DESCRIPTIONS: Record<string, string> = {
  converse_default_classifier_model: 'Model that classifies each message when no tier routes it.',
  converse_default_responder_model: 'Model that answers when no tier routes the turn.',
  credit_tier_priority: 'Credits spent first to last: a turn runs on the first one the person can afford.',
  credit_tier_responder_models: 'The model each credit buys.',
  grant_default_expiry_days: 'Days a new grant’s claim link stays valid, unless the grant says otherwise.',
  email_eligibility_cooling_days: 'Days after an account’s deletion before its address may receive a grant again.',
  referral_credit_asset: 'Credit a referrer receives when the person they referred claims a grant.',
  referral_credit_amount: 'How much referral credit (whole credits).',
  session_ttl_hours: 'Hours a sign-in lasts.',
  hold_ttl_seconds: 'Seconds a turn’s reservation lives if its turn never finishes.',
  max_turns_in_flight: 'Turns one person may run at once on the service’s key.',
  converse_min_response_tokens: 'Smallest answer (in tokens) a credit must afford to carry a turn.',
  anthropic_api_key: 'The service’s Anthropic key, used for turns of people without a key of their own.',
  reconcile_interval_seconds: 'Seconds between the reconciler’s scheduled runs.',
  low_balance_threshold: 'Per credit: below this balance the person is told their credit runs low.',
};

type Value = number | string | unknown[] | Record<string, unknown>;

/** The value as typed in the form: a number field, a text field, a list as "a, b", or one field per entry. */
function toText(value: unknown): string {
  return Array.isArray(value) ? value.join(', ') : String(value ?? '');
}

function fromText(text: string, like: unknown): unknown {
  if (typeof like === 'number') return text.trim() === '' ? NaN : Number(text);
  if (Array.isArray(like)) return text.split(',').map((x) => x.trim()).filter(Boolean);
  return text;
}

/** One setting, typed: numbers as numbers, lists and maps entry by entry; secrets only replaced, never shown. */
function SettingRow({ setting, onSaved }: { setting: Setting; onSaved: () => void }) {
  const value = setting.value as Value | undefined;
  const isMap = value !== null && typeof value === 'object' && !Array.isArray(value);
  const initial = (): Record<string, string> =>
    setting.secret ? { '': '' } : isMap ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toText(v)])) : { '': toText(value) };
  const [text, setText] = useState(initial);
  const shown = JSON.stringify(initial());
  // A saved value comes back from the server: show it as stored.
  useEffect(() => setText(initial()), [shown]);
  const action = useAction();
  const id = `setting-${setting.key}`;
  const changed = JSON.stringify(text) !== shown;
  const description = DESCRIPTIONS[setting.key];
  const secretState = !setting.secret
    ? null
    : setting.source === 'environment'
      ? 'Set by the server’s environment (ANTHROPIC_API_KEY), which wins over this setting: a value saved here is used only without it.'
      : setting.isSet
        ? 'Set here. Type a new value to replace it.'
        : 'Not set.';
  const input = (entry: string, label: string, like: unknown) => (
    <Field
      label={label}
      id={entry ? `${id}-${entry}` : id}
      type={(setting.secret ? 'password' : typeof like === 'number' ? 'number' : 'text') as 'text'}
      step={typeof like === 'number' ? 1 : undefined}
      autocomplete="off"
      spellcheck={false}
      value={text[entry]}
      placeholder={setting.secret ? (setting.isSet ? 'set — type to replace' : 'not set') : undefined}
      onInput={(e) => {
        const next = e.currentTarget.value;
        setText((t) => ({ ...t, [entry]: next }));
      }}
    />
  );
  return (
    <li>
      <form
        class="setting"
        aria-describedby={`${id}-about`}
        onSubmit={(e) => {
          e.preventDefault();
          action.run(async () => {
            const typed = setting.secret
              ? text['']
              : isMap
                ? Object.fromEntries(Object.entries(text).map(([k, t]) => [k, fromText(t, (value as Record<string, unknown>)[k])]))
                : fromText(text[''], value);
            if (Number.isNaN(typed) || (isMap && Object.values(typed as object).some((v) => Number.isNaN(v)))) throw new Error('Type a whole number.');
            await api('PUT', `/admin/config/${encodeURIComponent(setting.key)}`, { body: { value: typed } });
            onSaved();
            return 'Saved.';
          });
        }}
      >
        {isMap ? (
          <fieldset>
            <legend class="setting-key">{setting.key}</legend>
            {Object.entries(value).map(([k, v]) => input(k, k, v))}
          </fieldset>
        ) : (
          input('', setting.key, value)
        )}
        <p class="hint" id={`${id}-about`}>
          {description}
          {secretState && <span id={`${id}-state`}> {secretState}</span>}
        </p>
        <button type="submit" class="secondary" disabled={action.busy || (!setting.secret && !changed)} aria-label={`Save ${setting.key}`}>
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
      <p class="muted">Each change applies at once, on every instance. Secrets are never shown. A value the server refuses is answered with what it accepts.</p>
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
