import { Client, type ClientConfig } from 'pg';
import type { DatabaseHost } from './database-url';

/** SQLSTATE 08001: the client could not establish a connection — the API answers 503 `db_unavailable`. */
export class NoWritableHostError extends Error {
  readonly code = '08001';
  constructor(hosts: DatabaseHost[]) {
    super(`no host accepts writes (tried ${hosts.map(({ host, port }) => `${host}:${port}`).join(', ')})`);
    this.name = 'NoWritableHostError';
  }
}

const READ_WRITE_CHECK = "SELECT pg_is_in_recovery() OR current_setting('transaction_read_only') = 'on' AS read_only";

/**
 * libpq's `target_session_attrs=read-write` for a pool: finds the host of a multi-host URL that
 * accepts writes (connect, ask `pg_is_in_recovery()` and `transaction_read_only`, else try the next)
 * and remembers it. Forgotten on the first failed connection, so after a failover the next
 * connection looks again and finds the promoted standby; until then callers get 08001 (503).
 */
export class PrimaryLocator {
  private known: DatabaseHost | null = null;
  private search: Promise<DatabaseHost> | null = null;

  constructor(
    readonly hosts: DatabaseHost[],
    private readonly probeConfig: ClientConfig,
  ) {}

  /** The host that accepts writes: the remembered one, else the first that says so. */
  primary(): Promise<DatabaseHost> {
    if (this.known) return Promise.resolve(this.known);
    // One search at a time: a pool opening ten connections at once probes each host once.
    this.search ??= this.find().finally(() => (this.search = null));
    return this.search;
  }

  /** Called when a connection to `host` failed or found it read-only. */
  forget(host: DatabaseHost): void {
    if (this.known === host) this.known = null;
  }

  private async find(): Promise<DatabaseHost> {
    for (const host of this.hosts) {
      const probe = new Client(this.probeConfig);
      // Set after construction: a connectionString in the config would win over host and port.
      probe.host = host.host;
      probe.port = host.port;
      probe.on('error', () => undefined); // a host dying under the probe is just "not this one"
      try {
        await probe.connect();
        const [{ read_only }] = (await probe.query<{ read_only: boolean }>(READ_WRITE_CHECK)).rows;
        if (!read_only) return (this.known = host);
      } catch {
        // unreachable, starting up or shutting down: try the next host
      } finally {
        await probe.end().catch(() => undefined);
      }
    }
    throw new NoWritableHostError(this.hosts);
  }
}

type ConnectCallback = Parameters<Client['connect']>[0] & ((error: Error | null, client?: Client) => void);

/**
 * A pg Client class for the pool (`Pool({ Client })`) whose connections go to the locator's
 * primary; each new connection checks again that its host accepts writes, as libpq does.
 */
export function primaryClientClass(locator: PrimaryLocator): typeof Client {
  return class PrimaryClient extends Client {
    override connect(): Promise<Client>;
    override connect(callback: ConnectCallback): void;
    override connect(callback?: ConnectCallback): Promise<Client> | void {
      const connected = this.connectToPrimary().then(() => this);
      if (!callback) return connected;
      connected.then((client) => callback(null, client), (error: Error) => callback(error));
    }

    private async connectToPrimary(): Promise<void> {
      const target = await locator.primary();
      this.host = target.host;
      this.port = target.port;
      try {
        await super.connect();
        const [{ read_only }] = (await this.query<{ read_only: boolean }>(READ_WRITE_CHECK)).rows;
        if (read_only) {
          await this.end().catch(() => undefined);
          throw new NoWritableHostError([target]);
        }
      } catch (error) {
        locator.forget(target);
        throw error;
      }
    }
  };
}

/**
 * pg reports a connection's death (the primary killed, a failover) as an 'error' event when no
 * statement is running on it. The pool listens only while a connection is idle, so one checked
 * out between two statements of a transaction would crash the process with an unhandled 'error'
 * (the failover suite caught it). With this listener its next statement fails instead (the client
 * is no longer queryable: 503 db_unavailable) and the pool discards it on release.
 */
export function survivingClientClass(base: typeof Client = Client): typeof Client {
  return class SurvivingClient extends base {
    constructor(config?: string | ClientConfig) {
      super(config);
      this.on('error', () => undefined);
    }
  };
}
