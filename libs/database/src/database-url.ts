/** One host of a (possibly multi-host) Postgres URL. */
export interface DatabaseHost {
  host: string;
  port: number;
}

const DEFAULT_PORT = 5432;
/** scheme://[userinfo@]hostlist[/rest] — the host list is the part WHATWG URL can't parse. */
const HOST_LIST = /^([a-z]+:\/\/(?:[^@/]*@)?)([^/?#]*)(.*)$/i;

/**
 * The hosts a URL names, in order: `postgres://u:p@h1:5432,h2:5433/db` (libpq's multi-host form)
 * gives two. `url` is the same URL with only the first host, which pg (and WHATWG URL) can parse.
 */
export function parseDatabaseUrl(raw: string): { hosts: DatabaseHost[]; url: string } {
  const match = HOST_LIST.exec(raw);
  if (!match || !match[2].includes(',')) {
    const parsed = new URL(raw);
    return { hosts: [{ host: parsed.hostname, port: Number(parsed.port || DEFAULT_PORT) }], url: raw };
  }
  const [, head, list, rest] = match;
  const hosts = list.split(',').map((entry) => {
    const parsed = new URL(`postgres://${entry}`);
    return { host: parsed.hostname, port: Number(parsed.port || DEFAULT_PORT) };
  });
  return { hosts, url: `${head}${list.split(',')[0]}${rest}` };
}

/** The role a URL logs in as (pg's default when it names none: PGUSER, else the OS user). */
export function roleOf(raw: string): string {
  const user = decodeURIComponent(new URL(parseDatabaseUrl(raw).url).username);
  return user || process.env.PGUSER || process.env.USER || 'postgres';
}

/** The URL with its password masked, for logs and start-up lines. */
export function withoutPassword(raw: string): string {
  return raw.replace(/^([a-z]+:\/\/[^:@/]*:)[^@/]*@/i, '$1***@');
}
