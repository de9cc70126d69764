/**
 * Overhead of a system-key turn (the hold placed before the LLM calls, settled in the turn's
 * transaction) versus an own-key turn (neither), both against a zero-latency fake Messages API,
 * over real HTTP, in one run; a streamed system-key turn (server-sent events, the respond stage
 * streamed from the fake) beside the whole one; then the authenticated reads `GET /me/credit` beside `GET /me`, and
 * `GET /me` beside `GET /health`. Run: npm run bench
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { SessionsService } from '@loomworks/auth';
import { loadConfig } from '@loomworks/config';
import { GrantsService } from '@loomworks/credit/staff';
import { Transactions } from '@loomworks/database';
import { PersonsService } from '@loomworks/persons';
import { AppModule } from '../apps/api/src/app.module';
import { configureApp, createFastifyAdapter } from '../apps/api/src/bootstrap';
import { FakeAnthropic } from '../test/support/fake-anthropic';
import { SECONDS, throughput as measure } from './bench-kit';
import { withScratchDatabase } from './scratch-database';

const CONCURRENCY = 4;

async function main() {
  const fake = await new FakeAnthropic().start();
  try {
    await withScratchDatabase((databaseUrl) => run(databaseUrl, fake));
  } finally {
    await fake.stop();
  }
}

async function run(databaseUrl: string, fake: FakeAnthropic) {
  const config = loadConfig({ ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent', ANTHROPIC_BASE_URL: fake.url, ANTHROPIC_API_KEY: 'system-key', PORT: '0' });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), createFastifyAdapter(), { logger: false });
  await configureApp(app);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.getHttpServer().address() as { port: number }).port;
  const transactions = app.get(Transactions);
  const persons = app.get(PersonsService);
  const grants = app.get(GrantsService);
  const sessions = app.get(SessionsService);

  const newPerson = async (funded: boolean) => {
    const email = `bench.${randomUUID()}@example.com`;
    const grant = funded ? await grants.issue({ recipientEmail: email, asset: 'sonnet', kind: 'welcome', amount: 10n ** 12n }) : null;
    return transactions.run(async (tx) => {
      const person = await persons.createPerson(tx, { email, displayName: 'Bench' });
      if (grant) await grants.claimInTransaction(tx, { claimToken: grant.claimToken, personId: person.id, email });
      return { person, token: (await sessions.create(tx, person.id)).sessionToken };
    });
  };
  const systemKeyPerson = await newPerson(true);
  const ownKeyPerson = await newPerson(false);
  await persons.setPersonLlmKey(ownKeyPerson.person.id, 'own-key');

  const get = (path: string, token?: string) => async () => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    if (res.status !== 200) throw new Error(`${path} answered ${res.status}`);
    await res.arrayBuffer();
  };

  const turn = (who: { person: { personalEngagementId: string }; token: string }, accept = 'application/json') => async () => {
    const res = await fetch(`http://127.0.0.1:${port}/engagements/${who.person.personalEngagementId}/converse`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${who.token}`, accept },
      body: JSON.stringify({ message: 'benchmark turn' }),
    });
    if (res.status !== 200) throw new Error(`converse answered ${res.status}`);
    const body = await res.text();
    if (accept === 'text/event-stream' && !body.includes('event: turn.completed')) throw new Error('stream ended without turn.completed');
  };

  await throughput(turn(ownKeyPerson), 1); // warm up
  const own = await throughput(turn(ownKeyPerson));
  const system = await throughput(turn(systemKeyPerson));
  console.log(`\nconverse turns/s over ${SECONDS}s each, ${CONCURRENCY} concurrent clients, zero-latency fake LLM`);
  console.table([
    { key: 'own key (no gate, no charge)', 'turns/s': own.toFixed(0) },
    { key: 'system key (hold placed, then settled with the turns)', 'turns/s': system.toFixed(0) },
  ]);
  console.log(`system / own: ${(system / own).toFixed(2)}  (target ≥ 0.9; per-turn overhead ≈ ${((1 / system - 1 / own) * CONCURRENCY * 1000).toFixed(1)} ms)`);

  await throughput(turn(systemKeyPerson, 'text/event-stream'), 1); // warm up
  // Alternating rounds, so a load change on a shared machine weighs on both sides alike.
  const ROUNDS = 4;
  let whole = 0;
  let streamed = 0;
  for (let round = 0; round < ROUNDS; round++) {
    whole += (await throughput(turn(systemKeyPerson), SECONDS / ROUNDS)) / ROUNDS;
    streamed += (await throughput(turn(systemKeyPerson, 'text/event-stream'), SECONDS / ROUNDS)) / ROUNDS;
  }
  console.log(`\nstreaming converse, system-key turns/s over ${SECONDS}s each (in 4 alternating rounds), ${CONCURRENCY} concurrent clients (the fake streams the reply in 8-character deltas)`);
  console.table([
    { turn: 'whole (application/json)', 'turns/s': whole.toFixed(0) },
    { turn: 'streamed (text/event-stream)', 'turns/s': streamed.toFixed(0) },
  ]);
  console.log(`streamed / whole: ${(streamed / whole).toFixed(2)}  (target ≥ 0.9)`);

  // Reads: the funded person's credit view (balances, holds, tier) beside the person view, and
  // the person view (session + person) beside the health check (one SELECT 1).
  await throughput(get('/me/credit', systemKeyPerson.token), 1); // warm up
  const health = await throughput(get('/health'));
  const me = await throughput(get('/me', systemKeyPerson.token));
  const credit = await throughput(get('/me/credit', systemKeyPerson.token));
  console.log(`\nauthenticated reads, requests/s over ${SECONDS}s each, ${CONCURRENCY} concurrent clients`);
  console.table([
    { route: 'GET /health (baseline of /me)', 'requests/s': health.toFixed(0) },
    { route: 'GET /me (baseline of /me/credit)', 'requests/s': me.toFixed(0) },
    { route: 'GET /me/credit', 'requests/s': credit.toFixed(0) },
  ]);
  console.log(`/me/credit / /me: ${(credit / me).toFixed(2)}  (target ≥ 0.8);  /me / /health: ${(me / health).toFixed(2)}  (target ≥ 0.7)`);
  await app.close();
}

/** `work` run by CONCURRENCY clients at once; completed operations per second. */
const throughput = (work: () => Promise<void>, seconds = SECONDS) => measure(Array.from({ length: CONCURRENCY }, () => work), seconds);

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
