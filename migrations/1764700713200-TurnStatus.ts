import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A streamed turn whose provider stream broke before its final usage is kept as `interrupted`
 * (DESIGN.md "Streaming"): its content is the text that arrived. Every earlier turn was whole.
 */
export class TurnStatus1764700713200 implements MigrationInterface {
  name = 'TurnStatus1764700713200';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE turns ADD COLUMN status text NOT NULL DEFAULT 'ok' CHECK (status IN ('ok', 'interrupted'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE turns DROP COLUMN status');
  }
}
