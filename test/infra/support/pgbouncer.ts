import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../support/free-port';

/** Debian's package (`apt-get install pgbouncer`); PGBOUNCER overrides. */
export const PGBOUNCER = process.env.PGBOUNCER ?? '/usr/sbin/pgbouncer';
const isRoot = process.getuid?.() === 0;

/**
 * A real PgBouncer in transaction mode in front of one Postgres server: each transaction may run
 * on a different server connection, so session state (named prepared statements, session
 * advisory locks, SET) does not survive between transactions.
 */
export class PgBouncer {
  private constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly child: ChildProcess,
  ) {}

  /**
   * `roles`: who may log in, each with its password in plain text. PgBouncer checks a client's
   * password itself (SCRAM-SHA-256, as the server would) and logs in to the server as that role
   * with the same password, whatever the server asks for (SCRAM on the embedded cluster, nothing
   * on a trust server): so the auth file needs the plain text, not a hash. A role without a
   * password (a trust server's superuser) makes the pooler trust every client instead.
   */
  static async start(target: { host: string; port: number }, roles: Array<{ role: string; password: string }>, poolSize = 10): Promise<PgBouncer> {
    if (!existsSync(PGBOUNCER)) throw new Error(`PgBouncer not found at ${PGBOUNCER} (apt-get install pgbouncer)`);
    const dir = mkdtempSync(join(tmpdir(), 'lw-pgbouncer-'));
    chmodSync(dir, 0o755);
    const port = await freePort();
    const quote = (text: string) => `"${text.replace(/"/g, '""')}"`;
    writeFileSync(join(dir, 'users.txt'), roles.map((r) => `${quote(r.role)} ${quote(r.password)}`).join('\n') + '\n', { mode: 0o600 });
    const authType = roles.every((r) => r.password !== '') ? 'scram-sha-256' : 'trust';
    writeFileSync(
      join(dir, 'pgbouncer.ini'),
      [
        '[databases]',
        `* = host=${target.host} port=${target.port}`,
        '[pgbouncer]',
        'listen_addr = 127.0.0.1',
        `listen_port = ${port}`,
        "unix_socket_dir = ''",
        `auth_type = ${authType}`,
        `auth_file = ${join(dir, 'users.txt')}`,
        'pool_mode = transaction',
        `default_pool_size = ${poolSize}`,
        'max_client_conn = 500',
        // pg sends these at start-up; PgBouncer refuses unknown start-up parameters otherwise.
        'ignore_startup_parameters = extra_float_digits,options',
      ].join('\n') + '\n',
    );
    if (isRoot) execFileSync('chown', ['-R', 'postgres', dir]);
    // PgBouncer refuses to run as root.
    const [command, args] = isRoot ? ['runuser', ['-u', 'postgres', '--', PGBOUNCER, join(dir, 'pgbouncer.ini')]] : [PGBOUNCER, [join(dir, 'pgbouncer.ini')]];
    const child = spawn(command, args, { stdio: 'ignore' });
    const bouncer = new PgBouncer(port, dir, child);
    await bouncer.listening();
    return bouncer;
  }

  /** `url` with its host and port replaced by this pooler's. */
  wrap(url: string): string {
    const parsed = new URL(url);
    parsed.hostname = '127.0.0.1';
    parsed.port = String(this.port);
    return parsed.toString();
  }

  /** Idempotent. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    // runuser passes SIGTERM on to PgBouncer.
    this.child.kill('SIGTERM');
    await exited;
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async listening(): Promise<void> {
    for (let i = 0; i < 200; i++) {
      const up = await new Promise<boolean>((resolve) => {
        const socket = createConnection({ host: '127.0.0.1', port: this.port }, () => {
          socket.end();
          resolve(true);
        });
        socket.on('error', () => resolve(false));
      });
      if (up) return;
      if (this.child.exitCode !== null) throw new Error(`PgBouncer exited with ${this.child.exitCode}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('PgBouncer did not start');
  }
}
