import { createHash } from 'node:crypto';
import Anthropic from '@anthropic-ai/sdk';
import type { MessageCreateParamsNonStreaming } from '@anthropic-ai/sdk/resources/messages';
import { Transactions } from '@loomworks/database';
import { LogCapture } from '../support/log-capture';
import { TestContext, type SignedIn } from '../support/test-context';

const anthropicShape = (type: string) => ({ type: 'error', error: { type, message: expect.any(String) } });
const message: MessageCreateParamsNonStreaming = { model: 'claude-haiku-4-5', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] };

describe('API keys (/me/api-keys, admin list and revoke) and the Messages API key check', () => {
  let ctx: TestContext;
  let baseURL: string;
  const logs = new LogCapture();

  beforeAll(async () => {
    ctx = await TestContext.create({ env: { LOG_LEVEL: 'info' }, logStream: logs });
    await ctx.app.listen({ port: 0, host: '127.0.0.1' });
    baseURL = `http://127.0.0.1:${(ctx.app.getHttpServer().address() as { port: number }).port}`;
  });
  afterAll(() => ctx.close());

  const createKey = async (who: SignedIn, body: Record<string, unknown> = { name: 'laptop' }) =>
    (await ctx.http().post('/me/api-keys').set(ctx.as(who)).send(body).expect(201)).body as { id: string; key: string; prefix: string };
  const sdk = (apiKey: string) => new Anthropic({ apiKey, baseURL, maxRetries: 0 });

  it('creates a key shown once (lw_ + 256 bits), lists it by prefix without the key, revokes it', async () => {
    const person = await ctx.signedInPerson();
    const created = await ctx.http().post('/me/api-keys').set(ctx.as(person)).send({ name: 'laptop', limit: { amount: 500, period: 'week' } }).expect(201);
    expect(created.body).toEqual({
      id: expect.any(String),
      name: 'laptop',
      prefix: created.body.key.slice(0, 11),
      engagementId: null,
      limit: { amount: 500, period: 'week' },
      spentThisPeriod: 0,
      createdAt: ctx.clock.now().toISOString(),
      lastUsedAt: null,
      key: expect.stringMatching(/^lw_[A-Za-z0-9_-]{43}$/),
    });
    const { key: _key, ...view } = created.body;
    expect((await ctx.http().get('/me/api-keys').set(ctx.as(person)).expect(200)).body).toEqual({ items: [view] });

    await ctx.http().delete(`/me/api-keys/${created.body.id}`).set(ctx.as(person)).expect(204);
    expect((await ctx.http().get('/me/api-keys').set(ctx.as(person)).expect(200)).body).toEqual({ items: [] });
    expect((await ctx.http().delete(`/me/api-keys/${created.body.id}`).set(ctx.as(person)).expect(404)).body).toMatchObject({ error: 'api_key_not_found' });
    // revoked: refused as a key, whatever the body
    await ctx.http().post('/v1/messages').set('x-api-key', created.body.key).send({ model: 'm' }).expect(401);
  });

  it("refuses bad bodies, a team the person isn't in, another person's key, and no session", async () => {
    const person = await ctx.signedInPerson();
    const other = await ctx.signedInPerson();
    for (const body of [{}, { name: '' }, { name: 'x'.repeat(101) }, { name: 'a', limit: { amount: 0, period: 'day' } }, { name: 'a', limit: { amount: 5, period: 'year' } }, { name: 'a', extra: 1 }, { name: 'a', engagementId: 'nope' }]) {
      expect((await ctx.http().post('/me/api-keys').set(ctx.as(person)).send(body).expect(400)).body).toMatchObject({ error: 'validation_failed' });
    }
    const theirs = await ctx.http().post('/me/api-keys').set(ctx.as(person)).send({ name: 'a', engagementId: other.person.personalEngagementId }).expect(403);
    expect(theirs.body).toMatchObject({ error: 'forbidden' });
    await ctx.http().post('/me/api-keys').set(ctx.as(person)).send({ name: 'a', engagementId: '00000000-0000-4000-8000-000000000000' }).expect(404);
    const own = await createKey(person, { name: 'mine', engagementId: person.person.personalEngagementId });
    await ctx.http().delete(`/me/api-keys/${own.id}`).set(ctx.as(other)).expect(404);
    await ctx.http().get('/me/api-keys').expect(401);
    expect((await ctx.http().get('/me/api-keys').set(ctx.as(person)).expect(200)).body.items).toHaveLength(1);
  });

  it('lets staff list any person’s keys and revoke any key, audited; members may not', async () => {
    const admin = await ctx.admin();
    const person = await ctx.signedInPerson();
    const key = await createKey(person, { name: 'ci' });
    const listed = await ctx.http().get(`/admin/persons/${person.person.id}/api-keys`).set(ctx.as(admin)).expect(200);
    expect(listed.body.items).toEqual([expect.objectContaining({ id: key.id, name: 'ci', prefix: key.prefix })]);
    expect(listed.body.items[0]).not.toHaveProperty('key');
    await ctx.http().get(`/admin/persons/${person.person.id}/api-keys`).set(ctx.as(person)).expect(403);
    await ctx.http().delete(`/admin/api-keys/${key.id}`).set(ctx.as(person)).expect(403);
    await ctx.http().get('/admin/persons/00000000-0000-4000-8000-000000000000/api-keys').set(ctx.as(admin)).expect(404);

    await ctx.http().delete(`/admin/api-keys/${key.id}`).set(ctx.as(admin)).expect(204);
    expect((await ctx.http().delete(`/admin/api-keys/${key.id}`).set(ctx.as(admin)).expect(404)).body).toMatchObject({ error: 'api_key_not_found' });
    const audit = await ctx.http().get('/admin/audit').set(ctx.as(admin)).expect(200);
    expect(audit.body.items[0]).toMatchObject({
      actorPersonId: admin.person.id,
      action: 'api_key.revoke',
      subjectType: 'api_key',
      subjectId: key.id,
      details: { personId: person.person.id, name: 'ci', prefix: key.prefix },
    });
    await expect(sdk(key.key).messages.create(message)).rejects.toBeInstanceOf(Anthropic.AuthenticationError);
  });

  it('takes the key as x-api-key or Authorization: Bearer; anything else is one 401 in Anthropic’s shape', async () => {
    const person = await ctx.signedInPerson();
    const { key } = await createKey(person);
    // Past the key check, an invalid body is a 400: the key was accepted either way.
    await ctx.http().post('/v1/messages').set('x-api-key', key).send({ model: 'm' }).expect(400);
    await ctx.http().post('/v1/messages').set('authorization', `Bearer ${key}`).send({ model: 'm' }).expect(400);
    // The key is checked first, as Anthropic does: an unknown key with an invalid body (or content
    // that can't be bounded) is a 401, not a 400 that would tell it was worth a try.
    const unknown = `${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`;
    const unbounded = { ...message, messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } }] }] };
    for (const body of [{ model: 'm' }, unbounded]) {
      expect((await ctx.http().post('/v1/messages').set('x-api-key', unknown).send(body).expect(401)).body).toEqual(anthropicShape('authentication_error'));
    }
    for (const headers of [{}, { 'x-api-key': `${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}` }, { 'x-api-key': 'lw_short' }, { authorization: `Bearer ${person.sessionToken}` }]) {
      const res = await ctx.http().post('/v1/messages').set(headers).send(message).expect(401);
      expect(res.body).toEqual(anthropicShape('authentication_error'));
    }
    const error = await sdk('lw_unknown').messages.create(message).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.AuthenticationError);
    expect((error as InstanceType<typeof Anthropic.AuthenticationError>).error).toEqual(anthropicShape('authentication_error'));
  });

  it('refuses a suspended or deleted person’s keys with 403 permission_error, and takes them back on reactivation', async () => {
    const admin = await ctx.admin();
    const person = await ctx.signedInPerson();
    const { key } = await createKey(person);
    const client = sdk(key);
    await ctx.http().post(`/admin/persons/${person.person.id}/suspend`).set(ctx.as(admin)).expect(200);
    await expect(client.messages.create(message)).rejects.toBeInstanceOf(Anthropic.PermissionDeniedError);
    await ctx.http().post(`/admin/persons/${person.person.id}/reactivate`).set(ctx.as(admin)).expect(200);
    await expect(client.messages.create({ ...message, messages: [] })).rejects.toBeInstanceOf(Anthropic.BadRequestError);
    await ctx.http().post(`/admin/persons/${person.person.id}/delete`).set(ctx.as(admin)).expect(200);
    const error = await client.messages.create(message).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.PermissionDeniedError);
    expect((error as InstanceType<typeof Anthropic.PermissionDeniedError>).error).toEqual(anthropicShape('permission_error'));
  });

  it('answers an invalid Messages body with 400 invalid_request_error naming the field, parsed by the SDK', async () => {
    const person = await ctx.signedInPerson();
    const client = sdk((await createKey(person)).key);
    const image = { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } } as const;
    const error = await client.messages.create({ ...message, messages: [{ role: 'user', content: [image] }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    expect((error as InstanceType<typeof Anthropic.BadRequestError>).error).toEqual({
      type: 'error',
      error: { type: 'invalid_request_error', message: expect.stringMatching(/^messages\.0\.content\.0\.type: content of this type can't be bounded/) },
    });
    const raw = await ctx.http().post('/v1/messages').set('x-api-key', (await createKey(person)).key).set('content-type', 'application/json').send('{"model": ').expect(400);
    expect(raw.body).toEqual(anthropicShape('invalid_request_error'));
  });

  it('keeps the key out of the database and the logs (only its SHA-256 and an 11-character prefix are stored)', async () => {
    const person = await ctx.signedInPerson();
    const { key, id } = await createKey(person);
    await ctx.http().post('/v1/messages').set('x-api-key', key).send({ model: 'm' }).expect(400);
    await ctx.http().post('/v1/messages').set('authorization', `Bearer ${key}`).send(message);
    await ctx.http().post('/v1/messages').set('x-api-key', `${key}x`).send(message).expect(401);
    const secret = key.slice(11); // everything past the prefix
    // the requests were logged (a line each: id, status, time; written without pino-http, see logging.ts) …
    const lines = logs.entries().filter((l) => (l.req as { url?: string } | undefined)?.url === '/v1/messages');
    expect(lines.map((l) => (l.res as { statusCode: number }).statusCode)).toEqual(expect.arrayContaining([400, 401]));
    for (const line of lines) {
      expect(line).toMatchObject({ msg: 'request completed', req: { id: expect.any(String), method: 'POST' }, responseTime: expect.any(Number) });
    }
    expect(logs.text).not.toContain(secret); // … without the key
    const stored = await ctx.get(Transactions).manager.query(
      `SELECT (SELECT count(*)::int FROM api_keys WHERE strpos(row_to_json(api_keys)::text, $1) > 0) AS keys,
              (SELECT count(*)::int FROM admin_audit WHERE strpos(row_to_json(admin_audit)::text, $1) > 0) AS audit,
              (SELECT encode(key_sha256, 'hex') FROM api_keys WHERE id = $2) AS digest`,
      [secret, id],
    );
    expect(stored).toEqual([{ keys: 0, audit: 0, digest: createHash('sha256').update(key).digest('hex') }]);
  });
});
