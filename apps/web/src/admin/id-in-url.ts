import { useEffect, useState } from 'preact/hooks';

/**
 * The id in the URL's fragment for a section of /admin (`#people/<id>`, `#pools/<id>`): each person's
 * and each pool's page has an address of its own, and back and forward move between them.
 */
export function useIdInUrl(section: 'people' | 'pools'): string | null {
  const read = () => new RegExp(`^#${section}/([0-9a-fA-F-]{36})$`).exec(location.hash)?.[1] ?? null;
  const [id, setId] = useState(read);
  useEffect(() => {
    const changed = () => setId(read());
    window.addEventListener('hashchange', changed);
    return () => window.removeEventListener('hashchange', changed);
  }, []);
  return id;
}
