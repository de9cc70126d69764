import { useState } from 'preact/hooks';
import { api, type Page } from '../api';
import { useLoad } from '../ui';

/** A cursor-paged list (API.md `{items, nextCursor}`): this page, and the way to older and newer ones. */
export function usePaged<T>(path: string, deps: unknown[] = []) {
  const [cursors, setCursors] = useState<string[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  const list = useLoad(() => api<Page<T>>('GET', `${path}${path.includes('?') ? '&' : '?'}${cursor ? `cursor=${encodeURIComponent(cursor)}` : ''}`), [path, cursor, version, ...deps]);
  return {
    ...list,
    reload: () => setVersion((v) => v + 1),
    restart: () => {
      setCursor(null);
      setCursors([]);
    },
    Pager: () => (
      <div class="actions">
        {cursors.length > 0 && (
          <button
            type="button"
            class="secondary"
            onClick={() => {
              setCursor(cursors[cursors.length - 1] || null);
              setCursors(cursors.slice(0, -1));
            }}
          >
            Newer
          </button>
        )}
        {list.data?.nextCursor && (
          <button
            type="button"
            class="secondary"
            onClick={() => {
              setCursors([...cursors, cursor ?? '']);
              setCursor(list.data!.nextCursor);
            }}
          >
            Older
          </button>
        )}
      </div>
    ),
  };
}

export function LoadError({ error }: { error: unknown }) {
  return error === undefined ? null : <p role="alert">{error instanceof Error ? error.message : String(error)}</p>;
}
