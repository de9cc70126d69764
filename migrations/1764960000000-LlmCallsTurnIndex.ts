import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createIndexConcurrently } from './concurrent-index';

/**
 * A refund of a turn's stage finds its call-log row by (turn_id, stage) (LlmCallsRepository.addRefund):
 * without an index that UPDATE scanned the whole call log, which grows by a row per provider call.
 * Partial: Messages API calls have no turn. Built CONCURRENTLY, so a large log keeps taking rows.
 */
export class LlmCallsTurnIndex1764960000000 implements MigrationInterface {
  name = 'LlmCallsTurnIndex1764960000000';
  transaction = false as const;

  async up(q: QueryRunner): Promise<void> {
    await createIndexConcurrently(q, 'public', 'llm_calls_turn_idx', 'llm_calls (turn_id, stage) WHERE turn_id IS NOT NULL');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX llm_calls_turn_idx');
  }
}
