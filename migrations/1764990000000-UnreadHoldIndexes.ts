import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Two of credit.holds' indexes that every hold wrote and nothing needs:
 * - holds_person_idx (person_id, created_at DESC): no query reads a person's holds other than
 *   their active ones (holds_person_active_idx), and, not partial, it took a second entry when the
 *   hold was settled (the status change is not a HOT update);
 * - holds_api_key_active_idx: a key's active holds are read only for its spend limit, now among
 *   its person's active holds (credit.spend_limits), which turns_in_flight bounds.
 * A Messages API request wrote 8 index entries for its hold, now 5.
 */
export class UnreadHoldIndexes1764990000000 implements MigrationInterface {
  name = 'UnreadHoldIndexes1764990000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX credit.holds_person_idx');
    await q.query('DROP INDEX credit.holds_api_key_active_idx');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX holds_api_key_active_idx ON credit.holds (api_key_id) WHERE status = 'active' AND api_key_id IS NOT NULL`);
    await q.query('CREATE INDEX holds_person_idx ON credit.holds (person_id, created_at DESC)');
  }
}
