import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * History's first page reads a page of rows, not the person's whole history (issue 24).
 * `/me/flows` asks for a person's flows (person_id) in which the person is a party (a team pool's
 * flows name the member who spent but move the pool's credit). The planner, taking the two tests as
 * independent, multiplies the person's share of the flows by the share where their party is on a
 * side — about one in 100 k squared at 10 M flows — and expects fewer rows than the page. It then
 * fetches every flow of the person (a bitmap scan of flows_person_idx) and sorts them, instead of
 * walking that index newest first and stopping after the page: the page's cost grew with the
 * person's history (741 flows: 741 rows and 154 buffers read, 1.0 ms of Postgres CPU a page,
 * against 51 rows, 44 buffers, 0.33 ms walking the index).
 * The statistics on the party test as an expression of the row itself tell the planner that
 * nearly every flow of a person has the person as a party (LedgerRepository.flowsOfPerson writes
 * the test the same way). ANALYZE fills them now rather than at autovacuum's next analyze.
 */
export class PersonHistoryStatistics1764930000000 implements MigrationInterface {
  name = 'PersonHistoryStatistics1764930000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE STATISTICS credit.flows_person_is_party
        ON ((from_party = 'person:' || person_id::text OR to_party = 'person:' || person_id::text))
        FROM credit.flows`);
    await q.query('ANALYZE credit.flows');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP STATISTICS credit.flows_person_is_party');
  }
}
