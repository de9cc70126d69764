import type { ComponentChildren, InputHTMLAttributes, JSX, SelectHTMLAttributes } from 'preact';
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, errorText } from './api';

/** Mounts a page's root component. */
export function mount(page: () => JSX.Element): void {
  render(page(), document.getElementById('app')!);
}

export { fmtAmount, fmtDate, fmtLimit, fmtSigned, fmtWait, THIS_PERIOD } from './format';

export type Message = { kind: 'error' | 'ok' | 'info'; text: string } | null;

/**
 * A live region that is always in the page, so screen readers announce what appears in it;
 * errors are alerts (announced at once), the rest polite.
 */
export function Status({ message, id }: { message: Message; id?: string }) {
  return (
    <div class="status" aria-live="polite" id={id}>
      {message && (
        <p class={message.kind} role={message.kind === 'error' ? 'alert' : undefined}>
          {message.text}
        </p>
      )}
    </div>
  );
}

/** Runs an action with a busy flag and its outcome as a Message. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<Message>(null);
  /** Never rejects: the outcome lands in `message` (so handlers may call it without awaiting). */
  function run(action: () => Promise<string | void>): void {
    setBusy(true);
    setMessage(null);
    action().then(
      (done) => setMessage(done ? { kind: 'ok', text: done } : null),
      (error: unknown) => setMessage({ kind: 'error', text: errorText(error) }),
    ).finally(() => setBusy(false));
  }
  return { busy, message, setMessage, run };
}

type InputProps = InputHTMLAttributes<HTMLInputElement> & { label: string; id: string; hint?: string };

/** A labelled input; its hint is tied to it with aria-describedby. */
export function Field({ label, id, hint, ...input }: InputProps) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input id={id} aria-describedby={hint ? `${id}-hint` : undefined} {...input} />
      {hint && (
        <small id={`${id}-hint`} class="hint">
          {hint}
        </small>
      )}
    </div>
  );
}

export function Select({ label, id, options, ...select }: SelectHTMLAttributes<HTMLSelectElement> & { label: string; id: string; options: Array<[string, string]> }) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <select id={id} {...select}>
        {options.map(([value, text]) => (
          <option value={value}>{text}</option>
        ))}
      </select>
    </div>
  );
}

/** A copy-to-clipboard button that says when it copied (or that the text must be copied by hand). */
export function CopyButton({ text, label = 'Copy link' }: { text: string; label?: string }) {
  const [done, setDone] = useState<string | null>(null);
  async function copy() {
    try {
      await navigator.clipboard.writeText(text);
      setDone('Copied.');
    } catch {
      setDone('Could not copy: select the link and copy it by hand.');
    }
  }
  return (
    <>
      <button type="button" class="secondary" onClick={() => void copy()}>
        {label}
      </button>
      <span class="copied" aria-live="polite">
        {done}
      </span>
    </>
  );
}

/**
 * A confirmation in a modal <dialog>: the browser keeps focus inside it and Escape cancels.
 * `open` shows it; the caller's `onConfirm` runs the action.
 */
export function Confirm({
  open,
  title,
  children,
  confirmLabel,
  danger,
  onConfirm,
  onCancel,
}: {
  open: boolean;
  title: string;
  children: ComponentChildren;
  confirmLabel: string;
  danger?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current!;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog ref={ref} aria-labelledby="confirm-title" onClose={onCancel} class="confirm">
      <h2 id="confirm-title">{title}</h2>
      <div>{children}</div>
      <div class="actions">
        <button type="button" class={danger ? 'danger' : undefined} onClick={onConfirm}>
          {confirmLabel}
        </button>
        <button type="button" class="secondary" onClick={onCancel} autofocus>
          Cancel
        </button>
      </div>
    </dialog>
  );
}

/** One choice of a row's action menu: its visible text, the name a screen reader hears (it says which row), and what it does. */
export interface RowMenuItem {
  text: string;
  label: string;
  danger?: boolean;
  onSelect: () => void;
}

/**
 * A table row's actions behind one "Actions" disclosure (`<details>`), so a narrow screen keeps
 * one button per row. Choosing closes the menu first: the dialog the choice opens takes over, and
 * an open menu left behind it would still catch the next click.
 */
export function RowMenu({ label, items }: { label: string; items: RowMenuItem[] }) {
  return (
    <details class="menu">
      <summary aria-label={label}>Actions</summary>
      <div class="menu-items">
        {items.map((item) => (
          <button
            type="button"
            class={item.danger ? 'danger' : 'secondary'}
            aria-label={item.label}
            onClick={(e) => {
              e.currentTarget.closest('details')?.removeAttribute('open');
              item.onSelect();
            }}
          >
            {item.text}
          </button>
        ))}
      </div>
    </details>
  );
}

/** What every page around its content: a skip link, the header (with sign-out when signed in), main. */
export function Shell({ title, nav, signedIn, children }: { title: string; nav?: ComponentChildren; signedIn?: boolean; children: ComponentChildren }) {
  const [message, setMessage] = useState<Message>(null);
  async function logout() {
    try {
      await api('POST', '/auth/logout');
      location.assign('/login');
    } catch (error) {
      setMessage({ kind: 'error', text: errorText(error) });
    }
  }
  useEffect(() => {
    document.title = `${title} · Loomworks`;
  }, [title]);
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href={signedIn ? '/account' : '/login'}>
          Loomworks
        </a>
        {nav}
        {signedIn && (
          <button type="button" class="secondary" onClick={() => void logout()}>
            Sign out
          </button>
        )}
      </header>
      <main id="main" tabIndex={-1}>
        <h1>{title}</h1>
        <Status message={message} />
        {children}
      </main>
    </>
  );
}

/** Loads the signed-in person once; pages show a sign-in link when there is none. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[] = []) {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => live && setState({ data, loading: false }),
      (error) => live && setState({ error, loading: false }),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  return { ...state, reload: () => setTick((t) => t + 1) };
}

/** A load's error, when there is one, as an alert. */
export function LoadError({ error }: { error: unknown }) {
  return error === undefined ? null : (
    <p class="error" role="alert">
      {errorText(error)}
    </p>
  );
}

export function SignInFirst() {
  return (
    <p role="alert">
      You are not signed in. <a href="/login">Sign in</a> first.
    </p>
  );
}
