import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The checksums of the SQL function files (DESIGN.md "Where the money rules live"): from here on
 * every ledger function has one source, a `.sql` file beside the repository that calls it,
 * applied after the migrations whenever its content changed (libs/database function-files.ts).
 * Earlier migrations keep the function bodies they created: they are history, already applied
 * on every database, and the function files replace each of those functions on the first start.
 *
 * credit.current_rate lost its last caller when the stage's rates came to be read in one query
 * (FastHoldPaths' credit.model_rates); it gets no file and is dropped here.
 */
export class CreateFunctionFiles1764600000000 implements MigrationInterface {
  name = 'CreateFunctionFiles1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE function_files (
        file          text PRIMARY KEY,
        function_name text NOT NULL,
        checksum      text NOT NULL,
        applied_at    timestamptz NOT NULL
      )`);
    await q.query('DROP FUNCTION credit.current_rate(text, text, timestamptz)');
  }

  async down(q: QueryRunner): Promise<void> {
    // The functions the files made go with the table (earlier migrations' down drop theirs only
    // if they still exist); trigger functions stay for the migrations that created their triggers.
    const made: { signature: string }[] = await q.query(`
      SELECT p.oid::regprocedure::text AS signature
        FROM function_files f
        JOIN pg_namespace n ON n.nspname = split_part(f.function_name, '.', 1)
        JOIN pg_proc p ON p.pronamespace = n.oid AND p.proname = split_part(f.function_name, '.', 2)
       WHERE p.prorettype <> 'trigger'::regtype`);
    for (const { signature } of made) await q.query(`DROP FUNCTION ${signature}`);
    await q.query('DROP TABLE function_files');
  }
}
