import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Pool } from 'pg';
import { throughput } from './bench-kit';

/**
 * The public ledger pgledger (github.com/pgr0ss/pgledger, MIT; one plpgsql call per transfer:
 * lock both accounts, update their balances, insert the transfer and two entries) as a peer on
 * the same Postgres. Its SQL is not part of this repository: it is loaded at bench time from a
 * copy of that repository named by PGLEDGER_DIR — a checkout (`git clone
 * https://github.com/pgr0ss/pgledger`) or a bare git directory (read with `git show HEAD:…`) —
 * into a scratch database of its own, exactly as its `just dbload` does (the ULID helpers it
 * vendors, then pgledger.sql, in one transaction).
 */
const FILES = ['vendor/scoville-pgsql-ulid/ulid-to-uuid.sql', 'vendor/scoville-pgsql-ulid/uuid-to-ulid.sql', 'pgledger.sql'];

export interface PgledgerSource {
  dir: string;
  /** the commit read, for the bench's output */
  commit: string;
  sql: string[];
}

/** pgledger's SQL from PGLEDGER_DIR, or null (with the reason) when it is not there. */
export function pgledgerSource(dir = process.env.PGLEDGER_DIR): PgledgerSource | { missing: string } {
  if (!dir) return { missing: 'PGLEDGER_DIR is not set (a clone of https://github.com/pgr0ss/pgledger)' };
  const worktree = existsSync(join(dir, 'pgledger.sql'));
  const git = (...args: string[]) => execFileSync('git', [...(worktree ? ['-C', dir] : ['--git-dir', dir]), ...args], { encoding: 'utf8' });
  try {
    const commit = git('rev-parse', '--short', 'HEAD').trim();
    const sql = FILES.map((file) => (worktree ? readFileSync(join(dir, file), 'utf8') : git('show', `HEAD:${file}`)));
    return { dir, commit, sql };
  } catch (error) {
    return { missing: `PGLEDGER_DIR=${dir} holds no pgledger (${(error as Error).message.split('\n')[0]})` };
  }
}

/** A loaded pgledger: `measure` answers transfers/s (one call, one commit each) over `seconds`. */
export interface PgledgerPeer {
  measure(seconds?: number): Promise<number>;
  close(): Promise<void>;
}

/**
 * pgledger loaded into a scratch database `name` on the server of `adminUrl` (dropped on close),
 * with `workers` clients. Each worker moves amounts between two accounts of its own (no lock waits
 * between workers: pgledger's best case, as our persons don't share balance rows either), as a
 * named prepared statement (pgx's default in pgledger's own performance check).
 */
export async function openPgledger(adminUrl: string, name: string, source: PgledgerSource, workers: number): Promise<PgledgerPeer> {
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const pool = new Pool({ connectionString: url.toString(), max: workers });
  // DROP … WITH (FORCE) below may still meet a client pool.end() is closing: its 'error' must not
  // crash the bench after the figures are in (it did, now and then, at the end of a run).
  pool.on('error', () => undefined);
  const close = async () => {
    await pool.end();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  };
  try {
    const load = await pool.connect();
    try {
      await load.query('BEGIN');
      for (const sql of source.sql) await load.query(sql);
      await load.query('COMMIT');
    } finally {
      load.release();
    }
    const accounts: string[] = [];
    for (let i = 0; i < workers * 2; i++) {
      const { rows } = await pool.query("SELECT id FROM pgledger_create_account('bench', 'CREDITS')");
      accounts.push(rows[0].id);
    }
    const transfer = (from: string, to: string) => async () => {
      const { rows } = await pool.query({ name: 'pgledger_transfer', text: 'SELECT id FROM pgledger_create_transfer($1, $2, $3)', values: [from, to, 3] });
      if (rows.length !== 1) throw new Error('pgledger: no transfer');
    };
    const pairs = Array.from({ length: workers }, (_, i) => transfer(accounts[2 * i], accounts[2 * i + 1]));
    await throughput(pairs, 1); // warm up: plans cached, the accounts' pages in memory
    return { measure: (seconds?: number) => throughput(pairs, seconds), close };
  } catch (error) {
    await close();
    throw error;
  }
}
