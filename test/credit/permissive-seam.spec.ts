import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { CREDIT_SEAM, type CreditSeam } from '@loomworks/credit';
import { PermissiveCreditSeam } from '@loomworks/credit/testing';
import { createTestApp } from '../support/test-app';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

// How suites that are not about credit (converse routing, auth) bind the permissive seam.
describe('PermissiveCreditSeam bound with overrideProvider(CREDIT_SEAM)', () => {
  let db: TestDatabase;
  let app: NestFastifyApplication;
  const permissive = new PermissiveCreditSeam();

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await createTestApp(db.url, { override: (b) => b.overrideProvider(CREDIT_SEAM).useValue(permissive) });
  });
  afterAll(async () => {
    await app.close();
    await db.drop();
  });

  it('is what the app injects, resolving anyone to the lowest tier and recording nothing', async () => {
    const seam = app.get<CreditSeam>(CREDIT_SEAM);
    expect(seam).toBe(permissive);
    expect(await seam.resolveCredit('00000000-0000-4000-8000-000000000001')).toEqual({
      asset: 'haiku',
      classifierModel: 'claude-haiku-4-5-20251001',
      responderModel: 'claude-haiku-4-5-20251001',
    });
    const result = await seam.recordConsumption({
      personId: '00000000-0000-4000-8000-000000000001',
      turnId: 't1',
      asset: 'haiku',
      stages: [{ stage: 'respond', model: 'claude-haiku-4-5-20251001', usage: { input: 10, output: 5, cacheRead: 0, cacheWrite: 0 } }],
    });
    expect(result.charged).toBe(0n);
    expect(permissive.consumptions).toHaveLength(1);
    expect(await db.query('SELECT 1 FROM credit.flows')).toHaveLength(0);
    expect(await seam.personFlows('00000000-0000-4000-8000-000000000001')).toEqual({ items: [], nextCursor: null });
  });

  it('fails loudly for operations a credit-less suite should not reach', () => {
    expect(() => permissive.claimGrant()).toThrow('PermissiveCreditSeam does not support claimGrant');
  });
});
