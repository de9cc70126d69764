import type { DestinationStream } from 'pino';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Type } from '@nestjs/common';
import type { TestingModuleBuilder } from '@nestjs/testing';
import type { PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/server';
import { generate } from 'otplib';
import request from 'supertest';
import { CLOCK } from '@loomworks/common';
import type { Env } from '@loomworks/config';
import { LedgerService } from '@loomworks/credit/staff';
import { TestClock, uniqueEmail } from './credit-fixtures';
import { SoftAuthenticator } from './soft-authenticator';
import { createTestApp } from './test-app';
import { createTestDatabase, type TestDatabase } from './test-database';

export interface SignedUp {
  email: string;
  sessionToken: string;
  person: { id: string; email: string; role: string; accountStatus: string; personalEngagementId: string };
  authenticator: SoftAuthenticator;
  totpSecret: string;
  credit?: { grantId: string; asset: string; amount: number };
}

/** The wall clock, with TestClock's shape (moving it is refused). */
class WallClock extends TestClock {
  override now(): Date {
    return new Date();
  }
  override set(): void {
    throw new Error('this world runs on the wall clock');
  }
}

export class AuthWorld {
  private constructor(
    readonly db: TestDatabase,
    readonly app: NestFastifyApplication,
    readonly clock: TestClock,
  ) {}

  /** With `realClock`, the app keeps the wall clock (for suites that share the database with a server process). */
  static async create(
    options: { env?: Env; controllers?: Type[]; override?: (b: TestingModuleBuilder) => TestingModuleBuilder; realClock?: boolean; logStream?: DestinationStream } = {},
  ) {
    const db = await createTestDatabase();
    const clock = options.realClock ? new WallClock() : new TestClock();
    const app = await createTestApp(db.url, {
      env: options.env,
      logStream: options.logStream,
      controllers: options.controllers,
      override: (b) => (options.override ?? ((x) => x))(options.realClock ? b : b.overrideProvider(CLOCK).useValue(clock)),
    });
    return new AuthWorld(db, app, clock);
  }

  http() {
    return request(this.app.getHttpServer());
  }

  /** The current TOTP code for a secret, at the test clock's time. */
  code(secret: string): Promise<string> {
    return generate({ secret, epoch: Math.floor(this.clock.now().getTime() / 1000) });
  }

  /** The three signup steps through HTTP with a software authenticator. */
  async signup(options: { email?: string; displayName?: string; claimToken?: string; adminToken?: string } = {}): Promise<SignedUp> {
    const email = options.email ?? uniqueEmail('signup');
    const begin = await this.http()
      .post('/auth/signup/begin')
      .send({ email, displayName: options.displayName ?? 'Tester', ...(options.adminToken && { adminToken: options.adminToken }) })
      .expect(201);
    return this.finishSignup(email, begin.body.registrationId, begin.body.options, options.claimToken);
  }

  async finishSignup(
    email: string,
    registrationId: string,
    options: PublicKeyCredentialCreationOptionsJSON,
    claimToken?: string,
    extra: { emailCode?: string } = {},
  ): Promise<SignedUp> {
    const authenticator = new SoftAuthenticator();
    const passkey = await this.http()
      .post('/auth/signup/passkey')
      .send({ registrationId, credential: authenticator.register(options) })
      .expect(200);
    const totpSecret: string = passkey.body.totp.secret;
    const done = await this.http()
      .post('/auth/signup/totp-verify')
      .send({ registrationId, code: await this.code(totpSecret), ...(claimToken && { claimToken }), ...extra })
      .expect(201);
    return { email, sessionToken: done.body.sessionToken, person: done.body.person, authenticator, totpSecret, credit: done.body.credit };
  }

  /** Both login steps; answers the finish response (assert its status). */
  async login(who: SignedUp, tamper: Parameters<SoftAuthenticator['authenticate']>[1] = {}, code?: string) {
    const begin = await this.http().post('/auth/login/begin').send({ email: who.email }).expect(200);
    return await this.http()
      .post('/auth/login/finish')
      .send({ loginId: begin.body.loginId, credential: who.authenticator.authenticate(begin.body.options, tamper), code: code ?? (await this.code(who.totpSecret)) });
  }

  async expectLedgerConsistent(): Promise<void> {
    expect(await this.app.get(LedgerService).verify()).toMatchObject({ drift: [], unbalancedAssets: [], duplicateIdempotencyKeys: [], heldMismatch: [], unexplainedNegativeBalances: [], ok: true });
  }

  async close(): Promise<void> {
    await this.app.close();
    await this.db.drop();
  }
}
