/**
 * The gateway's cost beside a peer, all against the same fake Messages API (zero latency, its own
 * process), 16 keep-alive connections, in one run:
 *   - POST /v1/messages, ours (API key checked, the request's bound held, the answer relayed,
 *     settled and logged) vs the Portkey AI gateway (`@portkey-ai/gateway`, unmetered, its own
 *     process, `x-portkey-provider: anthropic` + `x-portkey-custom-host`) vs the fake called
 *     directly: requests/s and the median latency each adds over the direct call;
 *   - streamed: time to first byte, ours vs direct (Portkey's streamed pass-through to a custom
 *     Anthropic host fails on Node, so streams are compared with the direct upstream only), under
 *     the 16-connection load and for one connection alone;
 *   - converse: streamed (text/event-stream) vs whole turns/s.
 * Our server runs in this process; the load generator in a process of its own (plain node:http), so
 * neither the client nor the upstream shares our event loop — nor our process: as a worker thread
 * of it, the load generator's CPU (and its isolate's GC and compiler threads) was partly counted as
 * our server's, 0.77 → 1.08 ms a request in one run (Portkey's 1.44 / 1.17 ms). Run: npm run bench (or alone:
 * node scripts/with-db.mjs node -r @swc-node/register bench/gateway.bench.ts)
 */
import 'reflect-metadata';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { SessionsService } from '@loomworks/auth';
import { loadConfig } from '@loomworks/config';
import { GrantsService } from '@loomworks/credit/staff';
import { Transactions } from '@loomworks/database';
import { ApiKeysService } from '@loomworks/gateway';
import { PersonsService } from '@loomworks/persons';
import { SystemConfigService } from '@loomworks/system-config';
import { AppModule } from '../apps/api/src/app.module';
import { configureApp, createFastifyAdapter } from '../apps/api/src/bootstrap';
import { median, processStat, SECONDS } from './bench-kit';
import { withScratchDatabase } from './scratch-database';

const CONNECTIONS = 16;
const ROOT = join(__dirname, '..');
const MODEL = 'claude-haiku-4-5-20251001';

interface Target {
  url: string;
  headers: Record<string, string>;
  body: string;
  stream?: boolean;
  /** connection i sends x-api-key keys[i % keys.length] (one payer per connection) */
  keys?: string[];
}

interface LoadResult {
  requests: number;
  errors: number;
  firstError?: string;
  seconds: number;
  /** ms from sending to the response's headers + first body byte, and to its last byte */
  ttfb: number[];
  total: number[];
  /** CPU ms spent during the slice: this process (our server), the load generator's, the Postgres cluster, the children */
  cpu: CpuSplit;
}

interface CpuSplit {
  server: number;
  loader: number;
  postgres: number;
  /** of `postgres`, the cluster's own processes (no client's backend) */
  postgresBackground: number;
  portkey: number;
  upstream: number;
}

/** The load loop, as a child process's source (`node -e`, told what to load over IPC): `connections` keep-alive loops, each request timed. Plain JS, no imports of ours. */
const LOADER = `
const http = require('node:http');
process.once('message', run);
process.send('ready');
function run({ url, headers, body, seconds, connections, keys }) {
const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
const target = new URL(url);
const ttfb = [], total = [];
let errors = 0, firstError;
const end = Date.now() + seconds * 1000;
function once(connection) {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const req = http.request({ host: target.hostname, port: target.port, path: target.pathname, method: 'POST', agent,
      headers: { ...headers, ...(keys && { 'x-api-key': keys[connection % keys.length] }), 'content-length': Buffer.byteLength(body) } }, (res) => {
      let first = 0;
      res.on('data', () => { if (!first) first = Number(process.hrtime.bigint() - t0) / 1e6; });
      res.on('end', () => {
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        if (res.statusCode !== 200) { errors++; firstError ??= 'status ' + res.statusCode; }
        else { ttfb.push(first || ms); total.push(ms); }
        resolve();
      });
      res.on('error', (e) => { errors++; firstError ??= String(e); resolve(); });
    });
    req.on('error', (e) => { errors++; firstError ??= String(e); resolve(); });
    req.end(body);
  });
}
async function loop(_, connection) { while (Date.now() < end) await once(connection); }
const started = Date.now();
const cpu0 = process.cpuUsage();
Promise.all(Array.from({ length: connections }, loop)).then(() => {
  agent.destroy();
  const cpu = process.cpuUsage(cpu0);
  process.send({ loaderCpuMs: (cpu.user + cpu.system) / 1000, requests: total.length, errors, firstError, seconds: (Date.now() - started) / 1000, ttfb, total }, () => process.exit(0));
});
}
`;

/** The 1-minute load average after each measured slice: the machine is shared, so each figure is printed with the load it ran under. */
const loads: number[] = [];

/** Processes whose CPU is counted per request (Linux /proc; elsewhere the CPU table reads NaN). */
const counted = { postgres: [] as number[], portkey: [] as number[], upstream: [] as number[] };

/** The Postgres cluster's postmaster, when it runs on this machine (its backends are its children); else NaN. */
async function postmasterPid(transactions: Transactions): Promise<number> {
  try {
    const [{ data_directory: dir }] = await transactions.manager.query('SHOW data_directory');
    return Number(readFileSync(`${dir}/postmaster.pid`, 'utf8').split('\n')[0]);
  } catch {
    return NaN;
  }
}

/**
 * CPU ms (user + system) of processes and, when `withChildren`, of the processes they started (the
 * postmaster's backends, and what those that ended used: their CPU would otherwise drop out of a
 * slice's difference, a whole backend's life at a time); NaN off Linux. `background`: the part of
 * children that are no client backend (WAL writer, checkpointer, background writer, autovacuum, I/O
 * workers …), told apart by the title Postgres gives them ("postgres: <user> <db> <host>(<port>) …" is a
 * client's backend).
 */
function processCpuMs(pids: number[], withChildren = false): { total: number; background: number } {
  let entries: string[];
  try {
    entries = withChildren ? readdirSync('/proc') : pids.map(String);
  } catch {
    return { total: NaN, background: NaN };
  }
  let total = 0;
  let background = 0;
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = processStat(entry); // null: gone meanwhile (a backend that ended)
    if (!stat) continue;
    if (pids.includes(Number(entry))) {
      total += stat.cpuMs + (withChildren ? stat.endedChildrenCpuMs : 0);
      if (withChildren) background += stat.cpuMs;
    } else if (withChildren && pids.includes(stat.parentPid)) {
      total += stat.cpuMs;
      if (!isClientBackend(entry)) background += stat.cpuMs;
    }
  }
  return { total, background };
}

function isClientBackend(pid: string): boolean {
  try {
    return /^postgres: \S+ \S+ (\S+\(\d+\)|\[local\])/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  } catch {
    return true; // gone meanwhile: a client's backend ending, not a server process
  }
}

function cpuNow() {
  const own = process.cpuUsage();
  return {
    process: (own.user + own.system) / 1000,
    postgres: processCpuMs(counted.postgres, true),
    portkey: processCpuMs(counted.portkey).total,
    upstream: processCpuMs(counted.upstream).total,
  };
}

function load(target: Target, seconds: number, connections = CONNECTIONS): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const loader = spawn(process.execPath, ['-e', LOADER], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let before: ReturnType<typeof cpuNow>;
    const measured = (result: Omit<LoadResult, 'cpu'> & { loaderCpuMs: number }) => {
      const after = cpuNow();
      loads.push(loadavg()[0]);
      const cpu = {
        server: after.process - before.process,
        loader: result.loaderCpuMs,
        postgres: after.postgres.total - before.postgres.total,
        postgresBackground: after.postgres.background - before.postgres.background,
        portkey: after.portkey - before.portkey,
        upstream: after.upstream - before.upstream,
      };
      resolve({ ...result, cpu });
    };
    // The child says it is ready before the slice starts: its start-up is nobody's CPU in the slice.
    loader.once('message', () => {
      before = cpuNow();
      loader.once('message', measured);
      loader.send({ ...target, seconds, connections });
    });
    loader.once('error', reject);
    loader.once('exit', (code) => code !== 0 && reject(new Error(`the load generator exited with ${code}`)));
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

/** Starts a child and waits until its port answers TCP. */
async function child(command: string, args: string[], port: number, env: NodeJS.ProcessEnv = {}): Promise<ChildProcess> {
  const proc = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  for (let i = 0; i < 200; i++) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (open) return proc;
    if (proc.exitCode !== null) throw new Error(`${command} ${args.join(' ')} exited with ${proc.exitCode}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  proc.kill();
  throw new Error(`${command} did not open port ${port}`);
}

async function main() {
  const fakePort = await freePort();
  const portkeyPort = await freePort();
  const children: ChildProcess[] = [];
  try {
    children.push(await child(process.execPath, ['-r', '@swc-node/register', 'test/tools/fake-anthropic.ts', '--port', String(fakePort)], fakePort));
    children.push(
      await child(process.execPath, ['node_modules/@portkey-ai/gateway/build/start-server.js', `--port=${portkeyPort}`, '--headless'], portkeyPort, { NODE_ENV: 'production' }),
    );
    counted.upstream.push(children[0].pid!);
    counted.portkey.push(children[1].pid!);
    await withScratchDatabase((databaseUrl) => run(databaseUrl, `http://127.0.0.1:${fakePort}`, `http://127.0.0.1:${portkeyPort}`));
  } finally {
    for (const c of children) c.kill();
  }
}

async function run(databaseUrl: string, fakeUrl: string, portkeyUrl: string) {
  const config = loadConfig({ ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent', ANTHROPIC_BASE_URL: fakeUrl, ANTHROPIC_API_KEY: 'system-key', PORT: '0' });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), createFastifyAdapter(), { logger: false });
  await configureApp(app);
  await app.listen({ port: 0, host: '127.0.0.1' });
  counted.postgres.push(await postmasterPid(app.get(Transactions)));
  const ours = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
  // 16 connections of one person: let them all be in flight.
  await app.get(SystemConfigService).set('max_turns_in_flight', 64);

  const email = `bench.${randomUUID()}@example.com`;
  const grants = app.get(GrantsService);
  const grant = await grants.issue({ recipientEmail: email, asset: 'haiku', kind: 'welcome', amount: 10n ** 12n });
  const { person, sessionToken } = await app.get(Transactions).run(async (tx) => {
    const p = await app.get(PersonsService).createPerson(tx, { email, displayName: 'Bench' });
    await grants.claimInTransaction(tx, { claimToken: grant.claimToken, personId: p.id, email });
    return { person: p, sessionToken: (await app.get(SessionsService).create(tx, p.id)).sessionToken };
  });
  const { key } = await app.get(ApiKeysService).create({ personId: person.id, name: 'bench' });
  // One payer per connection: the same work without 16 requests queueing on one payer's row lock.
  const payerKeys: string[] = [];
  for (let i = 0; i < CONNECTIONS; i++) {
    const e = `bench.${randomUUID()}@example.com`;
    const g = await grants.issue({ recipientEmail: e, asset: 'haiku', kind: 'welcome', amount: 10n ** 12n });
    const p = await app.get(Transactions).run(async (tx) => {
      const created = await app.get(PersonsService).createPerson(tx, { email: e, displayName: 'Bench' });
      await grants.claimInTransaction(tx, { claimToken: g.claimToken, personId: created.id, email: e });
      return created;
    });
    payerKeys.push((await app.get(ApiKeysService).create({ personId: p.id, name: 'bench' })).key);
  }

  const request = (stream: boolean) => JSON.stringify({ model: MODEL, max_tokens: 400, stream, messages: [{ role: 'user', content: 'a benchmark request of modest size' }] });
  const json = { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' };
  const direct = (stream: boolean): Target => ({ url: `${fakeUrl}/v1/messages`, headers: { ...json, 'x-api-key': 'system-key' }, body: request(stream), stream });
  const portkey = (stream: boolean): Target => ({
    url: `${portkeyUrl}/v1/messages`,
    headers: { ...json, 'x-api-key': 'system-key', 'x-portkey-provider': 'anthropic', 'x-portkey-custom-host': `${fakeUrl}/v1` },
    body: request(stream),
    stream,
  });
  const gateway = (stream: boolean, keys?: string[]): Target => ({ url: `${ours}/v1/messages`, headers: { ...json, 'x-api-key': key }, body: request(stream), stream, keys });
  const converse = (stream: boolean): Target => ({
    url: `${ours}/engagements/${person.personalEngagementId}/converse`,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${sessionToken}`, accept: stream ? 'text/event-stream' : 'application/json' },
    body: JSON.stringify({ message: 'benchmark turn' }),
  });

  // Each target once briefly (connections, JIT), then the measured runs in alternating rounds,
  // so a load change on a shared machine weighs on every side alike.
  for (const t of [direct(false), portkey(false), gateway(false), direct(true), gateway(true), converse(false), converse(true)]) {
    const warm = await load(t, 0.5);
    if (warm.errors) throw new Error(`${t.url} failed while warming up: ${warm.firstError}`);
  }
  const ROUNDS = 2;
  const slice = SECONDS / ROUNDS;
  const cases = {
    direct: direct(false),
    portkey: portkey(false),
    ours: gateway(false),
    oursPayers: gateway(false, payerKeys),
    directStream: direct(true),
    oursStream: gateway(true),
    oursStreamPayers: gateway(true, payerKeys),
  } as const;
  const results = Object.fromEntries(Object.keys(cases).map((k) => [k, [] as LoadResult[]])) as Record<keyof typeof cases, LoadResult[]>;
  const single = { directStream: [] as LoadResult[], oursStream: [] as LoadResult[] };
  const turns = { whole: [] as LoadResult[], streamed: [] as LoadResult[] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, target] of Object.entries(cases) as Array<[keyof typeof cases, Target]>) results[name].push(await load(target, slice));
    single.directStream.push(await load(direct(true), slice / 2, 1));
    single.oursStream.push(await load(gateway(true), slice / 2, 1));
    turns.whole.push(await load(converse(false), slice));
    turns.streamed.push(await load(converse(true), slice));
  }
  await app.close();

  const merge = (runs: LoadResult[]) => {
    const errors = runs.reduce((s, r) => s + r.errors, 0);
    return {
      rps: runs.reduce((s, r) => s + r.requests, 0) / runs.reduce((s, r) => s + r.seconds, 0),
      ttfb: median(runs.flatMap((r) => r.ttfb)),
      total: median(runs.flatMap((r) => r.total)),
      errors: errors ? `${errors} (${runs.find((r) => r.firstError)?.firstError})` : '0',
    };
  };
  const m = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, merge(v)])) as Record<keyof typeof cases, ReturnType<typeof merge>>;
  const ms = (x: number) => x.toFixed(2);
  const measured = loads.slice(-Object.keys(cases).length * ROUNDS - 4 * ROUNDS);
  const load1 = `load average ${(measured.reduce((a, b) => a + b, 0) / measured.length).toFixed(1)} (${Math.min(...measured).toFixed(1)}–${Math.max(...measured).toFixed(1)}) over the measured runs`;
  console.log(`\nPOST /v1/messages, ${CONNECTIONS} connections, ${SECONDS}s per target in ${ROUNDS} alternating rounds, same zero-latency fake upstream (${load1})`);
  console.table([
    { target: 'fake upstream, direct (baseline)', 'req/s': m.direct.rps.toFixed(0), 'median ms': ms(m.direct.total), 'added ms': '—', errors: m.direct.errors },
    { target: 'Portkey gateway 1.15.2 (unmetered)', 'req/s': m.portkey.rps.toFixed(0), 'median ms': ms(m.portkey.total), 'added ms': ms(m.portkey.total - m.direct.total), errors: m.portkey.errors },
    { target: 'Loomworks (key, hold, settle, log), 1 key', 'req/s': m.ours.rps.toFixed(0), 'median ms': ms(m.ours.total), 'added ms': ms(m.ours.total - m.direct.total), errors: m.ours.errors },
    {
      target: `Loomworks, ${CONNECTIONS} keys of ${CONNECTIONS} payers`,
      'req/s': m.oursPayers.rps.toFixed(0),
      'median ms': ms(m.oursPayers.total),
      'added ms': ms(m.oursPayers.total - m.direct.total),
      errors: m.oursPayers.errors,
    },
  ]);
  console.log(
    `ours / Portkey: ${(m.ours.rps / m.portkey.rps).toFixed(2)}× req/s with one key, ${(m.oursPayers.rps / m.portkey.rps).toFixed(2)}× with ${CONNECTIONS} payers (target ≥ 1.0); ` +
      `added latency ${ms(m.ours.total - m.direct.total)} / ${ms(m.oursPayers.total - m.direct.total)} vs Portkey's ${ms(m.portkey.total - m.direct.total)} ms (target ≤ Portkey's); direct ${m.direct.rps.toFixed(0)} req/s`,
  );

  // CPU per request, each process's own: on two shared cores the sum is what bounds requests/s,
  // and unlike req/s it barely moves with what else the machine runs.
  const perRequest = (runs: LoadResult[]) => {
    const requests = runs.reduce((n, r) => n + r.requests, 0);
    const sum = (k: keyof CpuSplit) => runs.reduce((n, r) => n + r.cpu[k], 0) / requests;
    return {
      server: sum('server'),
      postgres: sum('postgres'),
      postgresBackground: sum('postgresBackground'),
      portkey: sum('portkey'),
      upstream: sum('upstream'),
      loader: sum('loader'),
    };
  };
  const cpuRow = (target: string, runs: LoadResult[], gateway: 'server' | 'portkey' | null) => {
    const c = perRequest(runs);
    const own = gateway === 'server' ? c.server + c.postgres : gateway === 'portkey' ? c.portkey : 0;
    return {
      target,
      'gateway ms': gateway === 'server' ? ms(c.server) : gateway === 'portkey' ? ms(c.portkey) : '—',
      'Postgres ms': gateway === 'server' ? ms(c.postgres) : '—',
      'of it background ms': gateway === 'server' ? ms(c.postgresBackground) : '—',
      'upstream ms': ms(c.upstream),
      'load generator ms': ms(c.loader),
      'gateway + its database ms': gateway ? ms(own) : '—',
    };
  };
  console.log(`\nCPU per request (user + system, per process, from /proc; the same runs)`);
  console.table([
    cpuRow('fake upstream, direct', results.direct, null),
    cpuRow('Portkey gateway (unmetered)', results.portkey, 'portkey'),
    cpuRow('Loomworks, 1 key', results.ours, 'server'),
    cpuRow(`Loomworks, ${CONNECTIONS} payers`, results.oursPayers, 'server'),
  ]);
  const oursCpu = perRequest(results.oursPayers);
  console.log(`ours / Portkey in CPU per request (${CONNECTIONS} payers): ${((oursCpu.server + oursCpu.postgres) / perRequest(results.portkey).portkey).toFixed(2)}× (the API process ${ms(oursCpu.server)} ms + Postgres ${ms(oursCpu.postgres)} ms)`);

  const s1 = { direct: merge(single.directStream), ours: merge(single.oursStream) };
  console.log(`\nstreamed POST /v1/messages (stream: true), time to first byte (Portkey's streamed pass-through to a custom host fails on Node: direct only; ${load1})`);
  console.table([
    { case: `direct, ${CONNECTIONS} connections (baseline)`, 'req/s': m.directStream.rps.toFixed(0), 'median TTFB ms': ms(m.directStream.ttfb), 'added ms': '—', errors: m.directStream.errors },
    { case: `Loomworks, ${CONNECTIONS} connections, 1 key`, 'req/s': m.oursStream.rps.toFixed(0), 'median TTFB ms': ms(m.oursStream.ttfb), 'added ms': ms(m.oursStream.ttfb - m.directStream.ttfb), errors: m.oursStream.errors },
    {
      case: `Loomworks, ${CONNECTIONS} connections, ${CONNECTIONS} payers`,
      'req/s': m.oursStreamPayers.rps.toFixed(0),
      'median TTFB ms': ms(m.oursStreamPayers.ttfb),
      'added ms': ms(m.oursStreamPayers.ttfb - m.directStream.ttfb),
      errors: m.oursStreamPayers.errors,
    },
    { case: 'direct, 1 connection (baseline)', 'req/s': s1.direct.rps.toFixed(0), 'median TTFB ms': ms(s1.direct.ttfb), 'added ms': '—', errors: s1.direct.errors },
    { case: 'Loomworks, 1 connection', 'req/s': s1.ours.rps.toFixed(0), 'median TTFB ms': ms(s1.ours.ttfb), 'added ms': ms(s1.ours.ttfb - s1.direct.ttfb), errors: s1.ours.errors },
  ]);
  console.log(
    `TTFB added over direct at the median: ${ms(m.oursStream.ttfb - m.directStream.ttfb)} ms with ${CONNECTIONS} connections on one key, ` +
      `${ms(m.oursStreamPayers.ttfb - m.directStream.ttfb)} ms on ${CONNECTIONS} payers, ${ms(s1.ours.ttfb - s1.direct.ttfb)} ms with one connection (target ≤ 5 ms)`,
  );

  const c = { whole: merge(turns.whole), streamed: merge(turns.streamed) };
  console.log(`\nconverse, system-key turns/s, ${CONNECTIONS} connections (${load1})`);
  console.table([
    { turn: 'whole (application/json, baseline)', 'turns/s': c.whole.rps.toFixed(0), 'median ms': ms(c.whole.total), errors: c.whole.errors },
    { turn: 'streamed (text/event-stream)', 'turns/s': c.streamed.rps.toFixed(0), 'median ms': ms(c.streamed.total), errors: c.streamed.errors },
  ]);
  console.log(`streamed / whole: ${(c.streamed.rps / c.whole.rps).toFixed(2)} (target ≥ 0.9)`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
