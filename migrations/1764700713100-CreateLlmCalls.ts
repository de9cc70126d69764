import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The LLM call log (DESIGN.md "The LLM call log and usage"): one row per provider call — converse
 * stages, Messages API requests, calls nobody is charged for — with the usage the provider
 * reported (null when it reported none), the hold of the call's turn or request, and what was
 * charged (0 when absorbed: the system key's provider billed it and nobody paid). Written once,
 * when the call has ended; never updated.
 */
export class CreateLlmCalls1764700713100 implements MigrationInterface {
  name = 'CreateLlmCalls1764700713100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE llm_calls (
        id                 uuid PRIMARY KEY,
        source             text NOT NULL CHECK (source IN ('converse', 'messages')),
        payer              text,
        person_id          uuid NOT NULL,
        engagement_id      uuid,
        api_key_id         uuid,
        turn_id            uuid,
        stage              text CHECK (stage IN ('classify', 'respond')),
        key_source         text NOT NULL CHECK (key_source IN ('system', 'person', 'operator')),
        model              text NOT NULL,
        status             text NOT NULL CHECK (status IN ('ok', 'failed', 'interrupted')),
        input_tokens       bigint CHECK (input_tokens >= 0),
        output_tokens      bigint CHECK (output_tokens >= 0),
        cache_read_tokens  bigint CHECK (cache_read_tokens >= 0),
        cache_write_tokens bigint CHECK (cache_write_tokens >= 0),
        asset              text,
        hold_id            uuid,
        held               bigint CHECK (held >= 0),
        charged            bigint NOT NULL DEFAULT 0 CHECK (charged >= 0),
        started_at         timestamptz NOT NULL,
        finished_at        timestamptz NOT NULL,
        -- usage is all there or all absent (the provider reported it or it didn't)
        CHECK ((input_tokens IS NULL) = (output_tokens IS NULL) AND (input_tokens IS NULL) = (cache_read_tokens IS NULL)
               AND (input_tokens IS NULL) = (cache_write_tokens IS NULL))
      )`);
    // a member's list and usage, newest first; staff's lists and usage by time
    await q.query('CREATE INDEX llm_calls_person_idx ON llm_calls (person_id, started_at DESC, id DESC)');
    await q.query('CREATE INDEX llm_calls_started_idx ON llm_calls (started_at DESC, id DESC)');
    await q.query('CREATE INDEX llm_calls_engagement_idx ON llm_calls (engagement_id, started_at DESC) WHERE engagement_id IS NOT NULL');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE llm_calls');
  }
}
