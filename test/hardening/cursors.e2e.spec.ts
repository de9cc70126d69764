import { TestContext, type SignedIn, uniqueEmail } from '../support/test-context';

/**
 * Every paginated route decodes its cursor with the one codec of @loomworks/common: a cursor it did
 * not issue — garbage, another list's, or a forged position out of range — is a 400 on `cursor`
 * in the error shape, never a 5xx. The cursor format is opaque to clients; this test knows it only
 * to forge positions (base64url JSON `{s: scope, …position}`).
 */
const forge = (fields: Record<string, unknown>) => Buffer.from(JSON.stringify(fields)).toString('base64url');
const UUID = '00000000-0000-4000-8000-000000000000';
const NOW = '2026-01-01T00:00:00.000Z';

type Family = { name: string; path: (ids: Ids) => string; scope: string; kind: 'sequence' | 'keyset'; as: 'admin' | 'member' };
type Ids = { personId: string; engagementId: string; webhookId: string };

const FAMILIES: Family[] = [
  { name: 'me/flows', path: () => '/me/flows', scope: 'flows', kind: 'sequence', as: 'member' },
  { name: 'admin person credit (flows)', path: (i) => `/admin/persons/${i.personId}/credit`, scope: 'flows', kind: 'sequence', as: 'admin' },
  { name: 'admin/audit', path: () => '/admin/audit', scope: 'audit', kind: 'sequence', as: 'admin' },
  { name: 'admin/grants', path: () => '/admin/grants', scope: 'grants', kind: 'keyset', as: 'admin' },
  { name: 'admin/mail', path: () => '/admin/mail', scope: 'mail', kind: 'keyset', as: 'admin' },
  { name: 'admin/events', path: () => '/admin/events', scope: 'events', kind: 'keyset', as: 'admin' },
  { name: 'webhook deliveries', path: (i) => `/admin/webhooks/${i.webhookId}/deliveries`, scope: 'webhook_deliveries', kind: 'keyset', as: 'admin' },
  { name: 'conversations', path: (i) => `/engagements/${i.engagementId}/conversations`, scope: 'conversations', kind: 'keyset', as: 'member' },
];

const wellFormed = (f: Family) => (f.kind === 'sequence' ? forge({ s: f.scope, id: '42' }) : forge({ s: f.scope, at: NOW, id: UUID }));

function tampered(f: Family): [string, string][] {
  const other = FAMILIES.find((g) => g.scope !== f.scope && g.kind === f.kind)!;
  const otherKind = FAMILIES.find((g) => g.kind !== f.kind)!;
  const common: [string, string][] = [
    ['a bare 19-digit number', '9999999999999999999'],
    ['garbage', 'not-a-cursor'],
    ['characters outside base64url', '%%%'],
    ['base64 of no JSON', Buffer.from('\u0000\u00ff{[').toString('base64url')],
    ['a JSON array', forge([f.scope, '1'] as unknown as Record<string, unknown>)],
    ['a JSON string', Buffer.from('"x"').toString('base64url')],
    ['another list of the same kind', wellFormed(other)],
    ['a cursor of the other kind', wellFormed(otherKind)],
    ['no scope', f.kind === 'sequence' ? forge({ id: '42' }) : forge({ at: NOW, id: UUID })],
    ['an extra field', f.kind === 'sequence' ? forge({ s: f.scope, id: '42', x: 1 }) : forge({ s: f.scope, at: NOW, id: UUID, x: 1 })],
  ];
  const position: [string, string][] =
    f.kind === 'sequence'
      ? [
          ['an id beyond bigint', forge({ s: f.scope, id: '9999999999999999999' })],
          ['a 30-digit id', forge({ s: f.scope, id: '1'.repeat(30) })],
          ['a negative id', forge({ s: f.scope, id: '-1' })],
          ['a numeric (not string) id', forge({ s: f.scope, id: 42 })],
          ['a non-decimal id', forge({ s: f.scope, id: '0x10' })],
        ]
      : [
          ['a non-uuid id', forge({ s: f.scope, at: NOW, id: "1' OR '1'='1" })],
          ['a uuid of the wrong length', forge({ s: f.scope, at: NOW, id: `${UUID}0` })],
          ['an absurd date (year 275760)', forge({ s: f.scope, at: '+275760-09-13T00:00:00.000Z', id: UUID })],
          ['an impossible date (month 13)', forge({ s: f.scope, at: '2026-13-01T00:00:00.000Z', id: UUID })],
          ['a date before any row', forge({ s: f.scope, at: '0001-01-01T00:00:00.000Z', id: UUID })],
          ['a date that is not a string', forge({ s: f.scope, at: 1e20, id: UUID })],
          ['no date', forge({ s: f.scope, id: UUID })],
        ];
  return [...common, ...position];
}

describe('tampered cursors: 400 on `cursor` for every paginated route, never a 5xx', () => {
  let ctx: TestContext;
  let admin: SignedIn;
  let member: SignedIn;
  let ids: Ids;

  beforeAll(async () => {
    ctx = await TestContext.create({ env: { WEBHOOK_ALLOW_HTTP: 'true', OUTBOX_POLL_MS: '0' } });
    admin = await ctx.admin();
    member = await ctx.signedInPerson({ displayName: 'Member' });
    const webhook = await ctx.http().post('/admin/webhooks').set(ctx.as(admin)).send({ url: 'http://127.0.0.1:9/hook', events: ['grant.issued'] }).expect(201);
    ids = { personId: member.person.id, engagementId: member.person.personalEngagementId, webhookId: webhook.body.id };
  });
  afterAll(() => ctx.close());

  const get = (f: Family, cursor: string) =>
    ctx
      .http()
      .get(`${f.path(ids)}?cursor=${encodeURIComponent(cursor)}`)
      .set(ctx.as(f.as === 'admin' ? admin : member));

  describe.each(FAMILIES.map((f) => [f.name, f] as const))('%s', (_name, family) => {
    it('accepts a well-formed position (the forged cursors below differ from it only in what is tampered)', async () => {
      const res = await get(family, wellFormed(family));
      expect({ status: res.status, keys: Object.keys(res.body) }).toEqual({ status: 200, keys: expect.arrayContaining(['nextCursor']) });
    });

    it.each(tampered(family))('refuses %s', async (_what, cursor) => {
      const res = await get(family, cursor);
      expect({ status: res.status, body: res.body }).toEqual({
        status: 400,
        body: { statusCode: 400, error: 'validation_failed', message: expect.any(String), fields: [{ field: 'cursor', message: 'cursor is not one this API issued' }] },
      });
    });
  });

  it('pages with the cursors it issues (grants, audit, flows)', async () => {
    for (let i = 0; i < 3; i++) {
      await ctx.http().post('/admin/grants').set(ctx.as(admin)).send({ recipientEmail: uniqueEmail('cursor'), asset: 'sonnet', kind: 'welcome', amount: 5 }).expect(201);
      await ctx.http().post(`/admin/persons/${member.person.id}/adjustments`).set(ctx.as(admin)).send({ asset: 'sonnet', amount: i + 1, reason: 'paging' }).expect(201);
    }
    for (const path of ['/admin/grants', '/admin/audit', `/admin/persons/${member.person.id}/credit`]) {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { body: { items?: { id: string }[]; flows?: { id: string }[]; nextCursor: string | null } } = await ctx
          .http()
          .get(`${path}?limit=2${cursor ? `&cursor=${cursor}` : ''}`)
          .set(ctx.as(admin))
          .expect(200);
        seen.push(...(page.body.items ?? page.body.flows ?? []).map((x) => x.id));
        cursor = page.body.nextCursor;
      } while (cursor);
      expect({ path, unique: new Set(seen).size }).toEqual({ path, unique: seen.length });
      expect(seen.length).toBeGreaterThanOrEqual(3);
    }
    await ctx.expectLedgerConsistent();
  });
});
