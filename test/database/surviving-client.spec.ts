import { Client } from 'pg';
import { survivingClientClass } from '../../libs/database/src/primary-client';

/**
 * A connection that dies while no statement runs on it (the primary killed during a failover)
 * must fail its next statement, not the process: pg reports the death as an 'error' event, and
 * a pooled connection in the window between the pool's and TypeORM's listeners has nobody else
 * listening (the failover suite once died of it).
 */
describe('the pool’s client class when its connection dies', () => {
  const url = process.env.LW_TEST_ADMIN_URL!;
  let admin: Client;

  beforeAll(async () => {
    admin = new Client({ connectionString: url });
    await admin.connect();
  });
  afterAll(() => admin.end());

  it('turns the death into a failed next statement instead of an unhandled error', async () => {
    const SurvivingClient = survivingClientClass();
    const client = new SurvivingClient({ connectionString: url });
    await client.connect();
    const crashes: unknown[] = [];
    const onUncaught = (error: unknown) => crashes.push(error);
    process.prependListener('uncaughtException', onUncaught);
    try {
      const [{ pid }] = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows;
      await admin.query('SELECT pg_terminate_backend($1)', [pid]);
      await new Promise((r) => setTimeout(r, 300));
      expect(crashes).toEqual([]);
      await expect(client.query('SELECT 1')).rejects.toThrow();
    } finally {
      process.off('uncaughtException', onUncaught);
      await client.end().catch(() => undefined);
    }
  });

  it('keeps a plain pg Client’s behaviour otherwise (the same class for every pool)', async () => {
    const SurvivingClient = survivingClientClass();
    const client = new SurvivingClient({ connectionString: url });
    await client.connect();
    expect((await client.query('SELECT 2 AS two')).rows).toEqual([{ two: 2 }]);
    await client.end();
  });
});
