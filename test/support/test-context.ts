import type { Type } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { TestingModuleBuilder } from '@nestjs/testing';
import type { PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/server';
import { generate } from 'otplib';
import type { DestinationStream } from 'pino';
import request from 'supertest';
import { AdminTokensService } from '@loomworks/auth';
import { CLOCK, type Clock } from '@loomworks/common';
import type { Env } from '@loomworks/config';
import type { IssueGrantCommand, IssuedGrant } from '@loomworks/credit';
import { GrantsService, LedgerService } from '@loomworks/credit/staff';
import { Transactions } from '@loomworks/database';
import { PersonsService, type Person } from '@loomworks/persons';
import { SoftAuthenticator } from './soft-authenticator';
import { createTestApp } from './test-app';
import { createTestDatabase, type TestDatabase } from './test-database';

// Each test file has a database of its own, so a counter is unique enough; no clock, no randomness.
let sequence = 0;
/** A key, name or token no earlier call in this test file answered. */
export const unique = (prefix = 'test') => `${prefix}-${++sequence}`;
/** An address no earlier call in this test file answered (`prefix.N@domain`). */
export const uniqueEmail = (prefix = 'person', domain = 'example.com') => `${prefix}.${++sequence}@${domain}`;

/** Polls until `condition` holds (generous: the test machine is loaded; this is no timing assertion). */
export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The token a claim or recovery link carries (`…?token=…`). */
export const tokenOf = (link: string) => new URL(link).searchParams.get('token')!;

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
    this.set(new Date(this.now().getTime() + days * 86_400_000));
  }
  advanceSeconds(seconds: number): void {
    this.set(new Date(this.now().getTime() + seconds * 1000));
  }
  /** Each TOTP code is accepted once: move to the next 30 s step before taking another. */
  nextTotpStep(): void {
    this.advanceSeconds(30);
  }
}

/** The wall clock, with TestClock's shape (moving it, even by advancing, is refused). */
class WallClock extends TestClock {
  override now(): Date {
    return new Date();
  }
  override set(): void {
    throw new Error('this context runs on the wall clock');
  }
}

/** A person signed up through the HTTP API, with the means to sign in again. */
export interface SignedIn {
  email: string;
  sessionToken: string;
  person: { id: string; email: string; role: string; accountStatus: string; personalEngagementId: string };
  authenticator: SoftAuthenticator;
  totpSecret: string;
  credit?: { grantId: string; asset: string; amount: number };
}

export interface SignupOptions {
  email?: string;
  displayName?: string;
  claimToken?: string;
  adminToken?: string;
  /** issue a welcome grant to the address first and claim it at signup */
  credit?: { asset: string; amount: bigint };
}

export interface TestContextOptions {
  /** or made from the test's database (e.g. a multi-host DATABASE_URL naming it) */
  env?: Env | ((db: TestDatabase) => Env);
  /** test-only controllers mounted beside the app's own */
  controllers?: Type[];
  /** provider overrides, e.g. `(b) => b.overrideProvider(CREDIT_SEAM).useValue(seam)` */
  override?: (builder: TestingModuleBuilder) => TestingModuleBuilder;
  /** keep the wall clock (for suites that share the database with a server process) */
  realClock?: boolean;
  logStream?: DestinationStream;
}

/**
 * One test file's world: the real app on a fresh database, a clock the test moves, and factories
 * that create data through the real services (newPerson, newGrant, fundedPerson) or the real HTTP
 * API (signedInPerson, admin), so every invariant holds as it does in production.
 */
export class TestContext {
  private constructor(
    readonly db: TestDatabase,
    readonly app: NestFastifyApplication,
    readonly clock: TestClock,
  ) {}

  static async create(options: TestContextOptions = {}): Promise<TestContext> {
    const db = await createTestDatabase();
    const clock = options.realClock ? new WallClock() : new TestClock();
    const override = options.override ?? ((b: TestingModuleBuilder) => b);
    const app = await createTestApp(db.url, {
      env: typeof options.env === 'function' ? options.env(db) : options.env,
      logStream: options.logStream,
      controllers: options.controllers,
      override: (b) => override(options.realClock ? b : b.overrideProvider(CLOCK).useValue(clock)),
    });
    return new TestContext(db, app, clock);
  }

  get<T>(type: Type<T> | string | symbol): T {
    return this.app.get<T>(type);
  }

  http() {
    return request(this.app.getHttpServer());
  }

  /** The Authorization header of a signed-in person. */
  as(who: Pick<SignedIn, 'sessionToken'>) {
    return { authorization: `Bearer ${who.sessionToken}` };
  }

  /** The current TOTP code for a secret, at the context clock's time. */
  code(secret: string): Promise<string> {
    return generate({ secret, epoch: Math.floor(this.clock.now().getTime() / 1000) });
  }

  // Factories through the real services.

  newPerson(o: { email?: string; displayName?: string } = {}): Promise<Person> {
    return this.get(Transactions).run((tx) =>
      this.get(PersonsService).createPerson(tx, { email: o.email ?? uniqueEmail(), displayName: o.displayName ?? 'Test Person' }),
    );
  }

  /** A welcome grant of 1000 haiku to a fresh address, unless told otherwise. */
  newGrant(o: Partial<IssueGrantCommand> = {}): Promise<IssuedGrant> {
    return this.get(GrantsService).issue({ recipientEmail: uniqueEmail('recipient'), asset: 'haiku', kind: 'welcome', amount: 1000n, ...o });
  }

  /** A person who claimed a grant of `amount` `asset` (created and claimed in one transaction). */
  async fundedPerson(asset = 'haiku', amount = 1000n): Promise<Person> {
    const email = uniqueEmail('funded');
    const { claimToken } = await this.newGrant({ recipientEmail: email, asset, amount });
    return this.get(Transactions).run(async (tx) => {
      const person = await this.get(PersonsService).createPerson(tx, { email, displayName: 'Funded' });
      await this.get(GrantsService).claimInTransaction(tx, { claimToken, personId: person.id, email });
      return person;
    });
  }

  // Factories through the real HTTP API.

  /** The three signup steps with a software authenticator, answering the new session. */
  async signedInPerson(o: SignupOptions = {}): Promise<SignedIn> {
    const email = o.email ?? uniqueEmail('signup');
    const claimToken = o.credit ? (await this.newGrant({ recipientEmail: email, ...o.credit })).claimToken : o.claimToken;
    const begin = await this.http()
      .post('/auth/signup/begin')
      .send({ email, displayName: o.displayName ?? 'Tester', ...(o.adminToken && { adminToken: o.adminToken }) })
      .expect(201);
    return this.finishSignup(email, begin.body.registrationId, begin.body.options, claimToken);
  }

  /** A person signed up with a fresh admin token. */
  async admin(o: { email?: string; displayName?: string } = {}): Promise<SignedIn> {
    const { adminToken } = await this.get(AdminTokensService).create();
    return this.signedInPerson({ displayName: 'Admin', ...o, adminToken });
  }

  /** The passkey and TOTP steps of a signup (or claim) already begun. */
  async finishSignup(
    email: string,
    registrationId: string,
    options: PublicKeyCredentialCreationOptionsJSON,
    claimToken?: string,
    extra: { emailCode?: string } = {},
  ): Promise<SignedIn> {
    const authenticator = new SoftAuthenticator();
    const passkey = await this.http().post('/auth/signup/passkey').send({ registrationId, credential: authenticator.register(options) }).expect(200);
    const totpSecret: string = passkey.body.totp.secret;
    const done = await this.http()
      .post('/auth/signup/totp-verify')
      .send({ registrationId, code: await this.code(totpSecret), ...(claimToken && { claimToken }), ...extra })
      .expect(201);
    return { email, sessionToken: done.body.sessionToken, person: done.body.person, authenticator, totpSecret, credit: done.body.credit };
  }

  /** Both login steps; answers the finish response (assert its status). */
  async login(who: SignedIn, tamper: Parameters<SoftAuthenticator['authenticate']>[1] = {}, code?: string) {
    const begin = await this.http().post('/auth/login/begin').send({ email: who.email }).expect(200);
    return await this.http()
      .post('/auth/login/finish')
      .send({ loginId: begin.body.loginId, credential: who.authenticator.authenticate(begin.body.options, tamper), code: code ?? (await this.code(who.totpSecret)) });
  }

  /** Asserts every ledger invariant of DESIGN.md (`full`: recomputed from the flows and every seal). */
  async expectLedgerConsistent(options: { full?: boolean } = {}): Promise<void> {
    expect(await this.get(LedgerService).verify(options)).toMatchObject({
      drift: [], unbalancedAssets: [], duplicateIdempotencyKeys: [], heldMismatch: [], unexplainedNegativeBalances: [], sealBroken: [], ok: true,
    });
  }

  async close(): Promise<void> {
    await this.app.close();
    await this.db.drop();
  }
}
