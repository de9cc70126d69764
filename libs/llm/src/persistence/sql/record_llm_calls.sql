-- Log ended provider calls (DESIGN.md "The LLM call log and usage"): one row of llm_calls each.
-- The one writer of the call log, so the row's columns are mapped in one place: LlmCallLog.record
-- calls it, and so may another module's statement that must write a call's row with its charge
-- in one round trip (the gateway's settle_request_call).
--   p_calls: [{id, source, key_source, payer, person_id, engagement_id, api_key_id, turn_id, stage,
--   model, status, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, asset,
--   hold_id, held, charged, started_at, finished_at}] (LlmCallsRepository.rows builds them);
--   absent keys are NULL. The table's checks apply (usage all there or all absent …).
-- plpgsql, not sql: a sql function's INSERT is planned again on every call, plpgsql keeps its plan
-- per connection (in settle_request_call the row's write went from ~0.45 to ~0.24 ms of server time).
CREATE OR REPLACE FUNCTION public.record_llm_calls(p_calls jsonb)
RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
  INSERT INTO llm_calls (id, source, key_source, payer, person_id, engagement_id, api_key_id, turn_id, stage, model, status,
                         input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, asset, hold_id, held, charged,
                         started_at, finished_at)
  SELECT c.id, c.source, c.key_source, c.payer, c.person_id, c.engagement_id, c.api_key_id, c.turn_id, c.stage, c.model, c.status,
         c.input_tokens, c.output_tokens, c.cache_read_tokens, c.cache_write_tokens, c.asset, c.hold_id, c.held, c.charged,
         c.started_at, c.finished_at
    FROM jsonb_to_recordset(p_calls) AS c (
           id uuid, source text, key_source text, payer text, person_id uuid, engagement_id uuid, api_key_id uuid, turn_id uuid,
           stage text, model text, status text, input_tokens bigint, output_tokens bigint, cache_read_tokens bigint,
           cache_write_tokens bigint, asset text, hold_id uuid, held bigint, charged bigint, started_at timestamptz,
           finished_at timestamptz);
END
$$;
