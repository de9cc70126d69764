-- Several Messages API requests' second statements as one (DESIGN.md "The Messages API"): each
-- call settled and logged by settle_request_call exactly as alone, all in one transaction, so
-- calls that end together share one round trip, one statement's start-up and one commit. The
-- caller (RequestCreditRepository) sends a batch only while earlier statements are still running.
--   Call i: p_hold[i], p_turn[i], p_at[i], p_stages[i], p_call[i], p_person[i] (the hold's person);
--   p_low_thresholds and p_settings_version are the batch's (one settings version).
-- Locks: the persons first (by id), then the calls in the order of the system balance slot their
-- flows write (balance_slot), then person — one order for every batch (see
-- place_key_request_holds). Any error, and a settlement that must write notices
-- ('settlement_notices_due'), undoes the whole batch: the caller settles its calls again one by
-- one, each answering for itself.
-- Returns settle_request_call's row for each call, `n` its position (1-based); the batch commits
-- with the flush, so `confirm` is false.
CREATE OR REPLACE FUNCTION public.settle_request_calls(
  p_hold uuid[], p_turn uuid[], p_at timestamptz[], p_stages jsonb[], p_low_thresholds jsonb, p_settings_version bigint,
  p_call jsonb[], p_person uuid[])
RETURNS TABLE (n integer, outcome text, asset text, held bigint, charged bigint, balance_after bigint, confirm boolean)
LANGUAGE plpgsql
AS $$
#variable_conflict use_column
DECLARE
  r record;
BEGIN
  PERFORM 1 FROM persons p WHERE p.id = ANY (p_person) ORDER BY p.id FOR NO KEY UPDATE;
  FOR r IN
    SELECT u.*
      FROM unnest(p_hold, p_turn, p_at, p_stages, p_call, p_person) WITH ORDINALITY AS u (hold, turn, at, stages, call, person, i)
     ORDER BY credit.balance_slot('system:held', u.person), u.person, u.i
  LOOP
    RETURN QUERY
      SELECT r.i::integer, s.outcome, s.asset, s.held, s.charged, s.balance_after, false
        FROM settle_request_call(
               p_hold => r.hold, p_turn => r.turn, p_at => r.at, p_stages => r.stages, p_low_thresholds => p_low_thresholds,
               p_settings_version => p_settings_version, p_call => r.call, p_person => r.person) s;
  END LOOP;
  -- A contended person's settlement turned the flush off for the transaction; nothing else confirms the batch.
  SET LOCAL synchronous_commit TO DEFAULT;
END
$$;
