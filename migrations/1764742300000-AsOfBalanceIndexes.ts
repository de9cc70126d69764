import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createIndexConcurrently } from './concurrent-index';

/**
 * As-of balances (DESIGN.md "Tamper evidence"): a payer's balance at an instant is the sum of its
 * flows created up to then. These two indexes make that a range read of the payer's own flows per
 * asset — index-only, `amount` included — instead of a scan of the ledger. Only payer sides are
 * indexed (system parties are on one side of nearly every flow and are never asked as of a time),
 * so a flow adds about one index entry, not two.
 * Built CONCURRENTLY, outside a transaction: on a ledger of millions of flows a plain build would
 * block every write to credit.flows (every turn) for as long as it takes.
 */
export class AsOfBalanceIndexes1764742300000 implements MigrationInterface {
  name = 'AsOfBalanceIndexes1764742300000';
  transaction = false as const;

  async up(q: QueryRunner): Promise<void> {
    await createIndexConcurrently(q, 'credit', 'flows_to_party_at_idx', `credit.flows (to_party, asset, created_at) INCLUDE (amount) WHERE to_party NOT LIKE 'system:%'`);
    await createIndexConcurrently(q, 'credit', 'flows_from_party_at_idx', `credit.flows (from_party, asset, created_at) INCLUDE (amount) WHERE from_party NOT LIKE 'system:%'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX credit.flows_from_party_at_idx');
    await q.query('DROP INDEX credit.flows_to_party_at_idx');
  }
}
