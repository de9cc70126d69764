import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createIndexConcurrently } from './concurrent-index';

/**
 * A team pool's page of flows (LedgerRepository.flowsOfPool, the admin's pool page) walks these
 * newest first and stops after the page; before, it fetched every flow of the pool through the
 * as-of indexes and sorted them, a cost that grew with the pool's history. Partial: only flows
 * with a pool on that side pay for them, not every turn of every person.
 * Built CONCURRENTLY, so a large ledger keeps taking flows.
 */
export class PoolHistoryIndexes1764970000000 implements MigrationInterface {
  name = 'PoolHistoryIndexes1764970000000';
  transaction = false as const;

  async up(q: QueryRunner): Promise<void> {
    await createIndexConcurrently(q, 'credit', 'flows_to_pool_idx', `credit.flows (to_party, id DESC) WHERE to_party LIKE 'engagement:%'`);
    await createIndexConcurrently(q, 'credit', 'flows_from_pool_idx', `credit.flows (from_party, id DESC) WHERE from_party LIKE 'engagement:%'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX credit.flows_from_pool_idx');
    await q.query('DROP INDEX credit.flows_to_pool_idx');
  }
}
