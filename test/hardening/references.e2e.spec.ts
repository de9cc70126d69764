import { TestContext, type SignedIn, uniqueEmail } from '../support/test-context';
import { SoftAuthenticator } from '../support/soft-authenticator';

/** Input that names something already taken, or something that does not exist: a 4xx, and nothing changes. */
describe('duplicate and unknown references from input', () => {
  let ctx: TestContext;
  let admin: SignedIn;

  beforeAll(async () => {
    ctx = await TestContext.create();
    admin = await ctx.admin();
  });
  afterEach(() => ctx.expectLedgerConsistent());
  afterAll(() => ctx.close());

  const count = async (sql: string) => (await ctx.db.query<{ n: number }>(sql))[0].n;
  const beginWith = async (authenticator: SoftAuthenticator) => {
    const begin = await ctx.http().post('/auth/signup/begin').send({ email: uniqueEmail('dup'), displayName: 'D' }).expect(201);
    const passkey = await ctx.http().post('/auth/signup/passkey')
      .send({ registrationId: begin.body.registrationId, credential: authenticator.register(begin.body.options) });
    return { registrationId: begin.body.registrationId as string, passkey };
  };

  it('refuses a passkey whose credential id is already registered: 409 passkey_exists at the passkey step', async () => {
    const owner = await ctx.signedInPerson();
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
    await ctx.http().post('/auth/signup/totp-verify')
      .send({ registrationId: first.registrationId, code: await ctx.code(first.passkey.body.totp.secret) }).expect(201);
    const persons = await count('SELECT count(*)::int AS n FROM persons');
    const res = await ctx.http().post('/auth/signup/totp-verify')
      .send({ registrationId: second.registrationId, code: await ctx.code(second.passkey.body.totp.secret) });
    expect(res.status).toBe(409);
    expect(res.body).toEqual({ statusCode: 409, error: 'passkey_exists', message: expect.any(String) });
    expect(await count('SELECT count(*)::int AS n FROM persons')).toBe(persons);
  });

  it('answers an unknown referrerPersonId on POST /admin/grants with 404 person_not_found, issuing nothing', async () => {
    const grants = await count('SELECT count(*)::int AS n FROM credit.grants');
    const res = await ctx.http().post('/admin/grants').set('authorization', `Bearer ${admin.sessionToken}`)
      .send({ recipientEmail: uniqueEmail('ref'), asset: 'sonnet', kind: 'welcome', amount: 10, referrerPersonId: '5b0e6f0c-6f65-4a4e-9d2a-3f4c1d2e9a77' });
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ statusCode: 404, error: 'person_not_found', message: expect.any(String) });
    expect(await count('SELECT count(*)::int AS n FROM credit.grants')).toBe(grants);
  });

  it('accepts a known referrer', async () => {
    const referrer = await ctx.signedInPerson();
    await ctx.http().post('/admin/grants').set('authorization', `Bearer ${admin.sessionToken}`)
      .send({ recipientEmail: uniqueEmail('ref'), asset: 'sonnet', kind: 'welcome', amount: 10, referrerPersonId: referrer.person.id }).expect(201);
  });
});
