import { randomUUID } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import { GrantsService } from '@loomworks/credit/staff';
import { Transactions } from '@loomworks/database';
import { PersonsService } from '@loomworks/persons';

/** Shared pieces of the benches: the measuring loop, the server version, funded bench persons. */
export const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);

/** Runs each worker in a loop for `seconds`; returns completed operations per second. */
export async function throughput(workers: Array<() => Promise<unknown>>, seconds = SECONDS): Promise<number> {
  const end = Date.now() + seconds * 1000;
  let done = 0;
  await Promise.all(
    workers.map(async (work) => {
      while (Date.now() < end) {
        await work();
        done++;
      }
    }),
  );
  return done / seconds;
}

export async function serverVersion(transactions: Transactions): Promise<string> {
  const [{ server_version }] = await transactions.manager.query('SHOW server_version');
  return server_version;
}

/** `count` persons, each holding a claimed haiku welcome grant large enough never to run out. */
export async function fundedPersons(app: INestApplicationContext, count: number): Promise<string[]> {
  const transactions = app.get(Transactions);
  const persons = app.get(PersonsService);
  const grants = app.get(GrantsService);
  const people: string[] = [];
  for (let i = 0; i < count; i++) {
    const email = `bench${i}.${randomUUID()}@example.com`;
    const { claimToken } = await grants.issue({ recipientEmail: email, asset: 'haiku', kind: 'welcome', amount: 10n ** 12n });
    people.push(
      await transactions.run(async (tx) => {
        const p = await persons.createPerson(tx, { email, displayName: 'Bench' });
        await grants.claimInTransaction(tx, { claimToken, personId: p.id, email });
        return p.id;
      }),
    );
  }
  return people;
}
