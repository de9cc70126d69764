import { Controller, Get, Query } from '@nestjs/common';
import { Public } from '@loomworks/auth';
import { Transactions } from '@loomworks/database';
import { LogCapture } from '../support/log-capture';
import { TestContext } from '../support/test-context';

/** A query that fails on the database with personal data among its parameters. */
@Public()
@Controller('__db-probe')
class DbProbeController {
  constructor(private readonly transactions: Transactions) {}

  @Get('fail')
  async fail(@Query('email') email: string) {
    await this.transactions.manager.query('SELECT $1::int AS n, $2::text AS handle', [email, 'handle-b64-secret']);
  }
}

describe('logs carry no secrets and no personal data', () => {
  let ctx: TestContext;
  const logs = new LogCapture();

  beforeAll(async () => {
    ctx = await TestContext.create({ controllers: [DbProbeController], env: { LOG_LEVEL: 'info' }, logStream: logs });
  });
  afterAll(() => ctx.close());

  it('print no SQL parameters (nor values Postgres quotes from them) when a query fails', async () => {
    const res = await ctx.http().get('/__db-probe/fail?email=ada.lovelace%40example.com').expect(500);
    expect(res.body).toEqual({ statusCode: 500, error: 'internal_error', message: expect.any(String), requestId: expect.any(String) });
    const line = logs.text.split('\n').find((l) => l.includes('"unhandled error"'))!;
    expect(JSON.parse(line).err).toMatchObject({ message: expect.stringContaining('invalid input syntax'), query: expect.stringContaining('$1::int') });
    expect(line).not.toContain('ada.lovelace');
    expect(line).not.toContain('handle-b64-secret');
  });

  it.each([
    ['/health?token=plain-secret-1', 'plain-secret-1'],
    ['/health?%74oken=encoded-secret-2', 'encoded-secret-2'],
    ['/health?x=1&%43laim%54oken=encoded-secret-3', 'encoded-secret-3'],
    ['/health?adminToken=admin-secret-4', 'admin-secret-4'],
    ['/health?recoveryToken=recovery-secret-5', 'recovery-secret-5'],
    ['/health?email=grace.hopper%40example.com', 'grace.hopper'],
  ])('mask secret and personal query parameters however they are encoded: %s', async (url, secret) => {
    await ctx.http().get(url).expect(200);
    expect(logs.text).toContain('=[redacted]');
    expect(logs.text).not.toContain(secret);
  });
});
