import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { get } from 'node:http';
import { join } from 'node:path';
import type { INestApplicationContext } from '@nestjs/common';
import { SessionsService } from '@loomworks/auth';
import { Transactions } from '@loomworks/database';
import { processStat } from './bench-kit';

/**
 * The API as its own process (apps/api/src/main.ts through @swc-node/register), for figures that
 * are about the server process — an export's memory — not about the bench's.
 */
export interface ApiProcess {
  child: ChildProcess;
  port: number;
  /** the process's resident set size now, bytes (from /proc) */
  rss(): number;
  /** the CPU time the process has used so far, seconds, user and system (from /proc) */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

export async function startApi(databaseUrl: string): Promise<ApiProcess> {
  const child = spawn(process.execPath, [...(process.env.BENCH_API_NODE_ARGS?.split(' ') ?? []), '-r', '@swc-node/register', 'apps/api/src/main.ts'], {
    cwd: join(__dirname, '..'),
    env: {
      PATH: process.env.PATH,
      DATABASE_URL: databaseUrl,
      LOOMWORKS_SECRET_KEY: process.env.LOOMWORKS_SECRET_KEY,
      PUBLIC_ORIGIN: 'http://localhost:3000',
      PORT: '0',
      LOG_LEVEL: 'error',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-10_000)));
  child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-10_000)));
  const deadline = Date.now() + 180_000;
  let port = 0;
  while (!port) {
    const match = /listening on http:\/\/localhost:(\d+)/.exec(out);
    if (match) port = Number(match[1]);
    else if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the API did not start: ${err}`);
    else await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    child,
    port,
    rss: () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]) * 1024,
    cpuSeconds: () => processStat(child.pid!)!.cpuMs / 1000,
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** A session of bench person `personId`, made staff: the bearer token for staff routes. */
export async function staffToken(app: INestApplicationContext, personId: string): Promise<string> {
  return app.get(Transactions).run(async (tx) => {
    await tx.query("UPDATE persons SET role = 'admin' WHERE id = $1", [personId]);
    return (await app.get(SessionsService).create(tx, personId)).sessionToken;
  });
}

/**
 * GETs `path` from the API with the bearer token and reads the body to its end, sampling the
 * process's RSS every 50 ms: the bytes and lines read, seconds taken, the peak RSS growth over the
 * RSS just before, the CPU seconds the API used meanwhile (what the figure costs whatever the
 * machine's load) and the 1-minute load average at the end.
 */
export async function download(
  api: ApiProcess,
  path: string,
  token: string,
): Promise<{ bytes: number; lines: number; seconds: number; rssGrowth: number; apiCpuSeconds: number; load: number }> {
  const before = api.rss();
  const cpuBefore = api.cpuSeconds();
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, api.rss())), 50);
  const start = process.hrtime.bigint();
  try {
    const { bytes, lines } = await new Promise<{ bytes: number; lines: number }>((resolve, reject) => {
      get({ host: '127.0.0.1', port: api.port, path, headers: { authorization: `Bearer ${token}` } }, (res) => {
        if (res.statusCode !== 200) reject(new Error(`GET ${path}: ${res.statusCode}`));
        let bytes = 0;
        let lines = 0;
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
        });
        res.on('end', () => resolve({ bytes, lines }));
        res.on('error', reject);
      }).on('error', reject);
    });
    return {
      bytes,
      lines,
      seconds: Number(process.hrtime.bigint() - start) / 1e9,
      rssGrowth: Math.max(peak, api.rss()) - before,
      apiCpuSeconds: api.cpuSeconds() - cpuBefore,
      load: loadavg()[0],
    };
  } finally {
    clearInterval(sampler);
  }
}
