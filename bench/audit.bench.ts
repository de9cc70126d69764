/**
 * The auditor's reads at BENCH_AUDIT_FLOWS flows (1,000,000 by default), in one run:
 * - as-of balance (`?asOf=`, LedgerService.balancesAsOf) vs the current credit view
 *   (creditSummary), per read, interleaved best of 3. Target: as-of ≤ 2× current.
 * - the ledger export: GET /admin/ledger/export of every flow from an API process of its own
 *   (bench/api-process.ts), read to the end over HTTP; rows/s, that process's RSS growth and CPU
 *   meanwhile. Target: ≥ 100k rows/s, < 100 MB.
 * - a turn's credit work (place + settle) at 8 persons in parallel with the sealer sealing every
 *   second vs stopped, interleaved best of 2. Target: running ≥ 0.95× stopped.
 * Run: npm run bench   (embedded PostgreSQL unless DATABASE_URL is set; uses a scratch database)
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { loadConfig } from '@loomworks/config';
import { LedgerService, SealerService } from '@loomworks/credit/staff';
import { Transactions } from '@loomworks/database';
import { SystemConfigService } from '@loomworks/system-config';
import { AppModule } from '../apps/api/src/app.module';
import { download, staffToken, startApi } from './api-process';
import { benchPerson, fillLedger, fundedPersons, throughput, turnCreditWork } from './bench-kit';
import { withScratchDatabase } from './scratch-database';

const FLOWS = Number(process.env.BENCH_AUDIT_FLOWS ?? 1_000_000);
const PERSONS = 10_000;
const START = Date.parse('2026-01-01T00:00:00Z');

async function run(databaseUrl: string) {
  const config = loadConfig({ ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent' });
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(config), { logger: false });
  const transactions = app.get(Transactions);
  const ledger = app.get(LedgerService);
  const sealer = app.get(SealerService);
  try {
    const built = Date.now();
    await fillLedger(transactions, { flows: FLOWS, persons: PERSONS, start: new Date(START) });
    console.log(`\nledger of ${FLOWS.toLocaleString('en')} flows over ${PERSONS.toLocaleString('en')} persons (one flow a second) built in ${((Date.now() - built) / 1000).toFixed(1)}s`);
    await sealer.sealOnce();

    // As-of vs current, the same persons, interleaved.
    const persons = Array.from({ length: 200 }, (_, i) => benchPerson(1 + ((i * 7919) % PERSONS)));
    const mid = new Date(START + (FLOWS / 2) * 1000);
    const perRead = async (read: (p: string) => Promise<unknown>) => {
      const start = process.hrtime.bigint();
      for (const p of persons) await read(p);
      return Number(process.hrtime.bigint() - start) / 1e6 / persons.length;
    };
    let current = Infinity;
    let asOf = Infinity;
    for (let round = 0; round < 3; round++) {
      current = Math.min(current, await perRead((p) => ledger.creditSummary(p)));
      asOf = Math.min(asOf, await perRead((p) => ledger.balancesAsOf(p, mid)));
    }

    // The export over HTTP from an API process of its own, its RSS sampled meanwhile (after a
    // small export, so the route's code is loaded and its first allocations made).
    const api = await startApi(databaseUrl);
    let exported: Awaited<ReturnType<typeof download>>;
    try {
      const token = await staffToken(app, benchPerson(1));
      await download(api, `/admin/ledger/export?to=${new Date(START + 10_000).toISOString()}`, token);
      exported = await download(api, '/admin/ledger/export', token);
    } finally {
      await api.stop();
    }
    if (exported.lines - 1 !== FLOWS) throw new Error(`the export has ${exported.lines - 1} rows, not ${FLOWS}`);

    // The sealer running vs stopped on a turn's credit work.
    await app.get(SystemConfigService).set('max_turns_in_flight', 1000);
    const people = await fundedPersons(app, 8);
    const work = turnCreditWork(app);
    const turn = (personId: string) => work(personId);
    await throughput([turn(people[0])], 1); // warm up
    const withSealer = async () => {
      let on = true;
      const loop = (async () => {
        while (on) {
          await sealer.sealOnce();
          await new Promise((resolve) => setTimeout(resolve, 1000));
        }
      })();
      const rate = await throughput(people.map(turn));
      on = false;
      await loop;
      return rate;
    };
    const runs = [await throughput(people.map(turn)), await withSealer(), await throughput(people.map(turn)), await withSealer()];
    const stopped = Math.max(runs[0], runs[2]);
    const running = Math.max(runs[1], runs[3]);

    console.log(`\nauditing at ${FLOWS.toLocaleString('en')} flows`);
    console.table([
      { what: 'current credit view (creditSummary), ms per read, best of 3', value: current.toFixed(3) },
      { what: 'as-of balances (balancesAsOf), ms per read, best of 3', value: asOf.toFixed(3) },
      { what: 'as-of / current (target ≤ 2)', value: (asOf / current).toFixed(2) },
      {
        what: `GET /admin/ledger/export of every flow: rows/s (${(exported.bytes / 1e6).toFixed(0)} MB of CSV in ${exported.seconds.toFixed(1)}s; target ≥ 100,000)`,
        value: Math.round(FLOWS / exported.seconds).toLocaleString('en'),
      },
      { what: "export: the API process's RSS growth, MB (target < 100)", value: (exported.rssGrowth / 1e6).toFixed(1) },
      { what: "export: the API process's CPU, seconds per million rows", value: ((exported.apiCpuSeconds * 1e6) / FLOWS).toFixed(2) },
      { what: 'export: load average (1 min) at its end', value: exported.load.toFixed(1) },
      { what: `turn credit work, turns/s, sealer stopped (best of 2: ${runs[0].toFixed(0)}, ${runs[2].toFixed(0)})`, value: stopped.toFixed(0) },
      { what: `turn credit work, turns/s, sealer every 1s (best of 2: ${runs[1].toFixed(0)}, ${runs[3].toFixed(0)})`, value: running.toFixed(0) },
      { what: 'sealer running / stopped (target ≥ 0.95)', value: (running / stopped).toFixed(2) },
    ]);
  } finally {
    await app.close();
  }
}

withScratchDatabase(run).catch((error) => {
  console.error(error);
  process.exit(1);
});
