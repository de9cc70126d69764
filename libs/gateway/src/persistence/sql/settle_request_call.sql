-- A Messages API request's second statement (DESIGN.md "The Messages API", "Streaming": settled once
-- at the end, no round trip added): the hold settled by the ledger's own credit.settle_hold and the
-- call's row of the call log written (record_llm_calls) with what it charged — one statement, so
-- one atomic commit, instead of a transaction of four round trips.
--   p_hold … p_settings_version: as settle_hold (one stage, 'request'); stale settings →
--   'stale_settings' and nothing written.
--   p_call: the call's row as record_llm_calls takes it; its `charged` is the settlement's.
-- A settlement that must announce something — usage above the hold (hold.exceeded), a budget
-- threshold crossed (budget.threshold), a low balance crossed (credit.low, pool.low): the cases
-- CreditNotices.settled writes to the outbox, whose payloads the application encrypts — can't
-- finish here: it raises 'settlement_notices_due', which undoes the whole statement, and the
-- caller settles again in a transaction that writes the notices too (RequestCredit.settle).
--   p_person: the hold's person. Their row contended (commit_early_if_contended; a pool's
--   settlement writes only the member's own slot of the pool's balance, so a pool adds nothing)
--   → this commit doesn't wait for its WAL flush and `confirm` is true: the caller confirms the
--   settlement durable (credit.confirm_settlement) before answering with it.
CREATE OR REPLACE FUNCTION public.settle_request_call(
  p_hold uuid, p_turn uuid, p_at timestamptz, p_stages jsonb, p_low_thresholds jsonb, p_settings_version bigint, p_call jsonb,
  p_person uuid)
RETURNS TABLE (outcome text, asset text, held bigint, charged bigint, balance_after bigint, confirm boolean)
LANGUAGE plpgsql
AS $$
#variable_conflict use_column
DECLARE
  s record;
  v_confirm boolean := credit.commit_early_if_contended(p_person => p_person, p_pool_pays => false);
BEGIN
  SELECT * INTO s FROM credit.settle_hold(p_hold => p_hold, p_turn => p_turn, p_at => p_at, p_stages => p_stages,
                                          p_low_thresholds => p_low_thresholds, p_settings_version => p_settings_version);
  IF s.outcome = 'stale_settings' THEN
    RETURN QUERY SELECT s.outcome, NULL::text, NULL::bigint, NULL::bigint, NULL::bigint, false;
    RETURN;
  END IF;
  IF s.hold_exceeded OR s.low_crossed OR coalesce(jsonb_array_length(s.alerts), 0) > 0 THEN
    RAISE EXCEPTION 'settlement_notices_due';
  END IF;
  PERFORM record_llm_calls(jsonb_build_array(p_call || jsonb_build_object('charged', s.charged::text)));
  RETURN QUERY SELECT s.outcome, s.asset, s.held, s.charged, s.balance_after, v_confirm;
END
$$;
