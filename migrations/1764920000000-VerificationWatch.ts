import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Incremental verify flat in ledger size (issue 24): besides the pairs (party, asset) the flows
 * past the checkpoint touched, it reads only the pairs in `credit.verification_watch`, never every
 * balance (see LedgerVerificationRepository.checkTouched for why that is enough):
 * - `outside_flow`: a balance row was written by anything but the flows trigger (credit.apply_flow
 *   runs at trigger depth 1; a statement of the API's role or an operator runs at depth 0). The
 *   API's role can update balances but, not owning the tables, can't disable this trigger nor
 *   verification_watch_keep, which refuses to remove or clear such an entry; only the owner can,
 *   and verify?full recomputes every balance for that case.
 * - otherwise: a person's balance was below zero when the flows that took it there were folded
 *   into the checkpoint (LedgerService.checkpoint adds and removes these).
 * Filled here with what the checks read before: every person below zero, and every pair of an
 * asset whose balances don't sum to zero now (a change outside the flows before this migration).
 * The trigger's WHEN keeps the flows' own writes (two per flow) off it: they queue no event.
 * Whatever writes balances in bulk on the flows trigger's behalf (a migration re-slotting them, the
 * scale bench's generator) disables balances_watch meanwhile, or every pair it wrote stays watched.
 * The two trigger functions are the function files watch_balance_write.sql and refuse_unwatch.sql;
 * this migration only creates refusing stand-ins, for the triggers to be created.
 * The incremental verify finds the seals past its checkpoint, and where the seals end, by
 * CreateSeals' unique index on seals.to_flow_id rather than by reading every seal.
 */
export class VerificationWatch1764920000000 implements MigrationInterface {
  name = 'VerificationWatch1764920000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE credit.verification_watch (
        party        text NOT NULL,
        asset        text NOT NULL,
        outside_flow boolean NOT NULL,
        PRIMARY KEY (party, asset)
      )`);
    // Stand-ins for the triggers to exist: the function files (watch_balance_write.sql,
    // refuse_unwatch.sql) define both, applied right after the migrations in the same start. Until
    // then each refuses what its trigger guards, so nothing passes unwatched in between.
    for (const fn of ['watch_balance_write', 'refuse_unwatch']) {
      await q.query(`
        CREATE FUNCTION credit.${fn}() RETURNS trigger
        LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'credit.${fn} is defined by its function file'; END $$`);
    }
    await q.query(`
      CREATE TRIGGER balances_watch AFTER INSERT OR UPDATE OR DELETE ON credit.balances
        FOR EACH ROW WHEN (pg_trigger_depth() = 0) EXECUTE FUNCTION credit.watch_balance_write()`);
    await q.query(`
      INSERT INTO credit.verification_watch (party, asset, outside_flow)
      SELECT party, asset, false FROM credit.balances WHERE party LIKE 'person:%' GROUP BY party, asset HAVING sum(amount) < 0`);
    await q.query(`
      INSERT INTO credit.verification_watch (party, asset, outside_flow)
      SELECT DISTINCT party, asset, true FROM credit.balances
       WHERE asset IN (SELECT asset FROM credit.balances GROUP BY asset HAVING sum(amount) <> 0)
      ON CONFLICT (party, asset) DO UPDATE SET outside_flow = true`);
    await q.query(`
      CREATE TRIGGER verification_watch_keep BEFORE UPDATE OR DELETE ON credit.verification_watch
        FOR EACH ROW WHEN (OLD.outside_flow) EXECUTE FUNCTION credit.refuse_unwatch()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TRIGGER verification_watch_keep ON credit.verification_watch');
    await q.query('DROP FUNCTION credit.refuse_unwatch()');
    await q.query('DROP TRIGGER balances_watch ON credit.balances');
    await q.query('DROP FUNCTION credit.watch_balance_write()');
    await q.query('DROP TABLE credit.verification_watch');
  }
}
