import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { CLOCK, type Clock } from '@loomworks/common';
import type { Env } from '@loomworks/config';
import { Transactions } from '@loomworks/database';
import { PersonsService, type Person } from '@loomworks/persons';
import { type GrantKind, type IssuedGrant } from '@loomworks/credit';
import { GrantsService, LedgerService } from '@loomworks/credit/staff';
import { createTestApp } from './test-app';
import { createTestDatabase, type TestDatabase } from './test-database';

/** A clock tests can move; every service reads time from it. */
export class TestClock implements Clock {
  constructor(private current = new Date('2026-06-01T12:00:00Z')) {}
  now(): Date {
    return new Date(this.current);
  }
  set(at: Date | string): void {
    this.current = new Date(at);
  }
  advanceDays(days: number): void {
    this.current = new Date(this.current.getTime() + days * 86_400_000);
  }
}

export interface CreditWorld {
  db: TestDatabase;
  app: NestFastifyApplication;
  clock: TestClock;
  get<T>(type: new (...args: never[]) => T): T;
  newPerson(overrides?: { email?: string; displayName?: string }): Promise<Person>;
  issue(overrides?: Partial<{ email: string; asset: string; amount: bigint; kind: GrantKind; referrerPersonId: string }>): Promise<IssuedGrant>;
  /** issue + claim by a new person with the grant's address */
  fundedPerson(asset?: string, amount?: bigint): Promise<Person>;
  /** asserts every ledger invariant (DESIGN.md) */
  expectLedgerConsistent(): Promise<void>;
  close(): Promise<void>;
}

let seq = 0;
export const uniqueEmail = (prefix = 'person') => `${prefix}.${process.pid}.${++seq}.${Date.now().toString(36)}@example.com`;

export async function createCreditWorld(options: { env?: Env } = {}): Promise<CreditWorld> {
  const db = await createTestDatabase();
  const clock = new TestClock();
  const app = await createTestApp(db.url, { env: options.env, override: (b) => b.overrideProvider(CLOCK).useValue(clock) });
  const transactions = app.get(Transactions);
  const persons = app.get(PersonsService);
  const grants = app.get(GrantsService);
  const ledger = app.get(LedgerService);

  const world: CreditWorld = {
    db,
    app,
    clock,
    get: (type) => app.get(type),
    newPerson: (o = {}) =>
      transactions.run((tx) => persons.createPerson(tx, { email: o.email ?? uniqueEmail(), displayName: o.displayName ?? 'Test Person' })),
    issue: (o = {}) =>
      grants.issue({
        recipientEmail: o.email ?? uniqueEmail('recipient'),
        asset: o.asset ?? 'haiku',
        kind: o.kind ?? 'welcome',
        amount: o.amount ?? 1000n,
        referrerPersonId: o.referrerPersonId,
      }),
    fundedPerson: async (asset = 'haiku', amount = 1000n) => {
      const email = uniqueEmail('funded');
      const { claimToken } = await world.issue({ email, asset, amount });
      return transactions.run(async (tx) => {
        const person = await persons.createPerson(tx, { email, displayName: 'Funded' });
        await grants.claimInTransaction(tx, { claimToken, personId: person.id, email });
        return person;
      });
    },
    expectLedgerConsistent: async () => {
      const result = await ledger.verify();
      expect(result).toMatchObject({ drift: [], unbalancedAssets: [], duplicateIdempotencyKeys: [], heldMismatch: [], unexplainedNegativeBalances: [], ok: true });
    },
    close: async () => {
      await app.close();
      await db.drop();
    },
  };
  return world;
}
