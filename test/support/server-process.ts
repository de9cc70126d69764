import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Env } from '@loomworks/config';

const ROOT = join(__dirname, '..', '..');

export interface ServerProcess {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs apps/api/src/main.ts (or another entry) as a real child process (TypeScript through @swc-node/register). */
export function spawnServer(env: Env, entry = 'apps/api/src/main.ts'): ServerProcess {
  return spawnProcess(process.execPath, ['-r', '@swc-node/register', entry], ROOT, { PATH: process.env.PATH, ...env });
}

/** Runs a command as a child process, collecting its output; `detached` gives it a process group of its own. */
export function spawnProcess(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, detached = false): ServerProcess {
  const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Resolves with the port once the server prints its listening line. */
export async function waitForListening(server: ServerProcess, timeoutMs = 60_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const match = /listening on http:\/\/localhost:(\d+)/.exec(server.stdout());
    if (match) return Number(match[1]);
    if (server.child.exitCode !== null) throw new Error(`server exited: ${server.stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`server did not start in time: ${server.stderr()}`);
}
