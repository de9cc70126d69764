import { AdminTokensService } from '@loomworks/auth';
import { AuthWorld, type SignedUp } from '../support/auth-world';
import { uniqueEmail } from '../support/credit-fixtures';
import { SoftAuthenticator } from '../support/soft-authenticator';

/** Input that names something already taken, or something that does not exist: a 4xx, and nothing changes. */
describe('duplicate and unknown references from input', () => {
  let world: AuthWorld;
  let admin: SignedUp;

  beforeAll(async () => {
    world = await AuthWorld.create();
    const { adminToken } = await world.app.get(AdminTokensService).create();
    admin = await world.signup({ adminToken, displayName: 'Admin' });
  });
  afterEach(() => world.expectLedgerConsistent());
  afterAll(() => world.close());

  const count = async (sql: string) => (await world.db.query<{ n: number }>(sql))[0].n;
  const beginWith = async (authenticator: SoftAuthenticator) => {
    const begin = await world.http().post('/auth/signup/begin').send({ email: uniqueEmail('dup'), displayName: 'D' }).expect(201);
    const passkey = await world.http().post('/auth/signup/passkey')
      .send({ registrationId: begin.body.registrationId, credential: authenticator.register(begin.body.options) });
    return { registrationId: begin.body.registrationId as string, passkey };
  };

  it('refuses a passkey whose credential id is already registered: 409 passkey_exists at the passkey step', async () => {
    const owner = await world.signup();
    const persons = await count('SELECT count(*)::int AS n FROM persons');
    const { passkey } = await beginWith(owner.authenticator);
    expect(passkey.status).toBe(409);
    expect(passkey.body).toEqual({ statusCode: 409, error: 'passkey_exists', message: expect.any(String) });
    expect(await count('SELECT count(*)::int AS n FROM persons')).toBe(persons);
  });

  it('refuses it at the last step too when another signup registered it meanwhile (409, no person created)', async () => {
    const shared = new SoftAuthenticator();
    const first = await beginWith(shared);
    const second = await beginWith(shared);
    expect(first.passkey.status).toBe(200);
    expect(second.passkey.status).toBe(200);
    await world.http().post('/auth/signup/totp-verify')
      .send({ registrationId: first.registrationId, code: await world.code(first.passkey.body.totp.secret) }).expect(201);
    const persons = await count('SELECT count(*)::int AS n FROM persons');
    const res = await world.http().post('/auth/signup/totp-verify')
      .send({ registrationId: second.registrationId, code: await world.code(second.passkey.body.totp.secret) });
    expect(res.status).toBe(409);
    expect(res.body).toEqual({ statusCode: 409, error: 'passkey_exists', message: expect.any(String) });
    expect(await count('SELECT count(*)::int AS n FROM persons')).toBe(persons);
  });

  it('answers an unknown referrerPersonId on POST /admin/grants with 404 person_not_found, issuing nothing', async () => {
    const grants = await count('SELECT count(*)::int AS n FROM credit.grants');
    const res = await world.http().post('/admin/grants').set('authorization', `Bearer ${admin.sessionToken}`)
      .send({ recipientEmail: uniqueEmail('ref'), asset: 'sonnet', kind: 'welcome', amount: 10, referrerPersonId: '5b0e6f0c-6f65-4a4e-9d2a-3f4c1d2e9a77' });
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ statusCode: 404, error: 'person_not_found', message: expect.any(String) });
    expect(await count('SELECT count(*)::int AS n FROM credit.grants')).toBe(grants);
  });

  it('accepts a known referrer', async () => {
    const referrer = await world.signup();
    await world.http().post('/admin/grants').set('authorization', `Bearer ${admin.sessionToken}`)
      .send({ recipientEmail: uniqueEmail('ref'), asset: 'sonnet', kind: 'welcome', amount: 10, referrerPersonId: referrer.person.id }).expect(201);
  });
});
