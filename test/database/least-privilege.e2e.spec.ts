import { Client } from 'pg';
import { Transactions } from '@loomworks/database';
import { TestContext } from '../support/test-context';

/**
 * The API's database role (issue 23, least privilege): it reads and inserts ledger rows but can't
 * change, remove or hide them — no UPDATE, DELETE or TRUNCATE on credit.flows, and, owning no
 * table, no ALTER TABLE … DISABLE TRIGGER. The app under test runs as that role (TestContext).
 */
describe('the runtime role', () => {
  let ctx: TestContext;
  let api: Client;

  beforeAll(async () => {
    ctx = await TestContext.create();
    api = new Client({ connectionString: ctx.db.runtimeUrl });
    await api.connect();
  });
  afterAll(async () => {
    await api.end();
    await ctx.close();
  });

  const refusal = async (sql: string) => (await api.query(sql).then(() => null, (error: { code: string; message: string }) => error))?.code;

  it('is the role the app connects as, and owns no table', async () => {
    const [{ current_user }] = await ctx.get(Transactions).manager.query('SELECT current_user');
    expect(current_user).toBe(api.user);
    const owned = await ctx.db.query(`SELECT count(*)::int AS n FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner WHERE r.rolname = $1`, [api.user]);
    expect(owned).toEqual([{ n: 0 }]);
  });

  it('can read and insert ledger rows, and the app does its money work as it', async () => {
    await ctx.fundedPerson('haiku', 500n);
    expect((await api.query('SELECT count(*)::int AS n FROM credit.flows')).rows[0].n).toBeGreaterThan(0);
    await ctx.expectLedgerConsistent();
  });

  it.each([
    ['UPDATE', 'UPDATE credit.flows SET amount = 999999'],
    ['DELETE', 'DELETE FROM credit.flows'],
    ['TRUNCATE', 'TRUNCATE credit.flows'],
    ['DISABLE TRIGGER', 'ALTER TABLE credit.flows DISABLE TRIGGER flows_append_only'],
    ['DISABLE TRIGGER ALL', 'ALTER TABLE credit.flows DISABLE TRIGGER ALL'],
    ['DROP TRIGGER', 'DROP TRIGGER flows_append_only ON credit.flows'],
    ['DROP TABLE', 'DROP TABLE credit.flows'],
    ['ALTER OWNER', 'ALTER TABLE credit.flows OWNER TO CURRENT_USER'],
    ['session_replication_role (skips triggers)', "SET session_replication_role = 'replica'"],
    ['CREATE in a ledger schema', 'CREATE TABLE credit.shadow (id int)'],
  ])('is refused %s on the ledger', async (_what, sql) => {
    // 42501 insufficient_privilege; 42704/42P01 never (the objects exist), so no false pass.
    expect(await refusal(sql)).toBe('42501');
  });

  it('gets the same privileges on tables a later migration creates (default privileges)', async () => {
    await ctx.db.query('CREATE TABLE later_feature (id int PRIMARY KEY, note text)');
    await api.query("INSERT INTO later_feature VALUES (1, 'a')");
    await api.query("UPDATE later_feature SET note = 'b'");
    expect((await api.query('SELECT note FROM later_feature')).rows).toEqual([{ note: 'b' }]);
    expect(await refusal('TRUNCATE later_feature')).toBe('42501');
    await ctx.db.query('DROP TABLE later_feature');
  });
});
