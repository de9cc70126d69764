import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type Page } from './api';
import { Status, useAction, useLoad } from './ui';

/** `path` (which may carry a query already) with the cursor added: no stray `?` or `&` when there is none. */
export function pageUrl(path: string, cursor: string | null): string {
  const [base, query] = path.split('?', 2);
  const params = new URLSearchParams(query);
  if (cursor) params.set('cursor', cursor);
  const q = params.toString();
  return q ? `${base}?${q}` : base;
}

const REFRESH_MS = 60_000;

/**
 * A cursor-paged list (API.md `{items, nextCursor}`): this page, and `pager`, the Newer/Older buttons.
 * `pager` is an element, not a component made per render, so the buttons (and keyboard focus) survive
 * a page change.
 */
export function usePaged<T>(path: string, deps: unknown[] = [], options: { refresh?: boolean } = {}) {
  const [cursors, setCursors] = useState<string[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  const list = useLoad(() => api<Page<T>>('GET', pageUrl(path, cursor)), [path, cursor, version, ...deps]);
  // `refresh`: the page shown is read again when the tab comes back into view, and a minute
  // after it was last read while it stays in view (what others changed meanwhile shows up).
  useEffect(() => {
    if (!options.refresh) return;
    const again = () => {
      if (document.visibilityState === 'visible') setVersion((v) => v + 1);
    };
    const timer = setTimeout(again, REFRESH_MS);
    document.addEventListener('visibilitychange', again);
    return () => {
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', again);
    };
  }, [options.refresh, list.data]);
  const hasNewer = cursors.length > 0;
  const hasOlder = Boolean(list.data?.nextCursor);
  const newer = () => {
    if (list.loading || !hasNewer) return;
    setCursor(cursors[cursors.length - 1] || null);
    setCursors(cursors.slice(0, -1));
  };
  const older = () => {
    if (list.loading || !hasOlder) return;
    setCursors([...cursors, cursor ?? '']);
    setCursor(list.data!.nextCursor);
  };
  return {
    ...list,
    reload: () => setVersion((v) => v + 1),
    restart: () => {
      setCursor(null);
      setCursors([]);
    },
    pager: (hasNewer || hasOlder) && <Pager newer={hasNewer ? newer : null} older={hasOlder ? older : null} busy={list.loading} />,
  };
}

/**
 * A history read a page at a time and shown whole: the first page, then each "Show older" appends
 * the next (a history reads on as one table, where a list of records pages). `items` picks a
 * page's rows (`items` of API.md's lists, `flows` of a credit view, whose first page also carries
 * the balances: `first.data`). `more` is the button (none at the end), with the outcome of its
 * last load.
 */
export function useLoadMore<P extends { nextCursor: string | null }, T>(path: string, items: (page: P) => T[], options: { label: string; deps?: unknown[] }) {
  const [rows, setRows] = useState<T[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const first = useLoad(async () => {
    const page = await api<P>('GET', path);
    setRows(items(page));
    setCursor(page.nextCursor);
    return page;
  }, [path, ...(options.deps ?? [])]);
  const older = useAction();
  const more = (
    <>
      {cursor && (
        <button
          type="button"
          class="secondary"
          disabled={older.busy}
          onClick={() =>
            older.run(async () => {
              const page = await api<P>('GET', pageUrl(path, cursor));
              setRows((r) => [...r, ...items(page)]);
              setCursor(page.nextCursor);
            })
          }
        >
          {options.label}
        </button>
      )}
      <Status message={older.message} />
    </>
  );
  return { first, items: rows, more };
}

/** Newer/Older, each disabled at its end; when the focused one becomes disabled, focus moves to the other. */
function Pager({ newer, older, busy }: { newer: (() => void) | null; older: (() => void) | null; busy: boolean }) {
  const newerRef = useRef<HTMLButtonElement>(null);
  const olderRef = useRef<HTMLButtonElement>(null);
  const last = useRef<'newer' | 'older' | null>(null);
  useEffect(() => {
    if (last.current === 'older' && !older) newerRef.current?.focus();
    if (last.current === 'newer' && !newer) olderRef.current?.focus();
  }, [newer === null, older === null]);
  return (
    <div class="actions pager" aria-busy={busy}>
      <button
        type="button"
        class="secondary"
        ref={newerRef}
        disabled={!newer}
        onClick={() => {
          last.current = 'newer';
          newer?.();
        }}
      >
        Newer
      </button>
      <button
        type="button"
        class="secondary"
        ref={olderRef}
        disabled={!older}
        onClick={() => {
          last.current = 'older';
          older?.();
        }}
      >
        Older
      </button>
    </div>
  );
}
