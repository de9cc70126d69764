-- Several Messages API requests' first statements as one (DESIGN.md "The Messages API"): each
-- request placed by place_key_request_hold exactly as alone, all in one transaction, so requests
-- that arrive together share one round trip, one statement's start-up and one commit. The caller
-- (RequestCreditRepository) sends a batch only while earlier statements are still running: a
-- request that finds none is sent alone, by place_key_request_hold itself.
--   Request i: p_key_sha256[i], p_hold[i], p_request[i], p_at[i], p_model[i], p_input_tokens[i],
--   p_max_tokens[i], and its p_buys flags: cardinality(p_assets) of them, request after request
--   (request i's are p_buys[(i-1)·n+1 : i·n]). p_assets, p_ttl_seconds, p_max_in_flight and
--   p_settings_version are the batch's: its requests were read at one settings version.
-- Locks are taken in one order by every batch, so two batches wait for each other rather than
-- deadlock (the order everywhere: key, person, payer, balance rows): first the keys whose last use
-- is due (by id), then the keys' persons (by id) and their team pools (by id); the requests are
-- then placed in the order of the system balance slot their hold's flow writes (balance_slot),
-- then payer and person. Balance rows of two pools whose members share a slot can still meet in
-- opposite orders; PostgreSQL then undoes one batch, and any error undoes the whole batch: the
-- caller sends its requests again one by one, each answering for itself.
-- Returns place_key_request_hold's row for each request, `n` its position (1-based). The batch
-- commits with the flush (synchronous_commit as configured, whatever a pool's placement set), so
-- `confirm` is false.
CREATE OR REPLACE FUNCTION public.place_key_request_holds(
  p_key_sha256 bytea[], p_hold uuid[], p_request uuid[], p_at timestamptz[], p_ttl_seconds integer, p_max_in_flight integer,
  p_model text[], p_input_tokens bigint[], p_max_tokens bigint[], p_assets text[], p_buys boolean[], p_settings_version bigint)
RETURNS TABLE (n integer, outcome text, api_key_id uuid, person_id uuid, engagement_id uuid, key_sha256 bytea,
               asset text, amount bigint, balance_before bigint, expires_at timestamptz,
               available bigint, available_asset text, retry_at timestamptz, confirm boolean)
LANGUAGE plpgsql
AS $$
#variable_conflict use_column
DECLARE
  v_assets integer := cardinality(p_assets);
  r record;
BEGIN
  PERFORM 1 FROM api_keys ak
    WHERE ak.key_sha256 = ANY (p_key_sha256) AND ak.revoked_at IS NULL
      AND (ak.last_used_at IS NULL OR ak.last_used_at <= (SELECT max(t) FROM unnest(p_at) t) - interval '1 minute')
    ORDER BY ak.id FOR NO KEY UPDATE;
  PERFORM 1 FROM persons p
    WHERE p.id IN (SELECT ak.person_id FROM api_keys ak WHERE ak.key_sha256 = ANY (p_key_sha256) AND ak.revoked_at IS NULL)
    ORDER BY p.id FOR NO KEY UPDATE;
  PERFORM 1 FROM engagements e
    WHERE e.id IN (SELECT ak.engagement_id FROM api_keys ak WHERE ak.key_sha256 = ANY (p_key_sha256) AND ak.revoked_at IS NULL)
      AND NOT e.personal
    ORDER BY e.id FOR NO KEY UPDATE;
  FOR r IN
    SELECT u.*, ak.person_id AS person, ak.engagement_id AS pool
      FROM unnest(p_key_sha256, p_hold, p_request, p_at, p_model, p_input_tokens, p_max_tokens)
             WITH ORDINALITY AS u (key_sha256, hold, request, at, model, input_tokens, max_tokens, i)
      LEFT JOIN api_keys ak ON ak.key_sha256 = u.key_sha256 AND ak.revoked_at IS NULL
     ORDER BY credit.balance_slot('system:held', ak.person_id), ak.engagement_id, ak.person_id, u.i
  LOOP
    RETURN QUERY
      SELECT r.i::integer, h.outcome, h.api_key_id, h.person_id, h.engagement_id, h.key_sha256, h.asset, h.amount,
             h.balance_before, h.expires_at, h.available, h.available_asset, h.retry_at, false
        FROM place_key_request_hold(
               p_key_sha256 => r.key_sha256, p_hold => r.hold, p_request => r.request, p_at => r.at,
               p_ttl_seconds => p_ttl_seconds, p_max_in_flight => p_max_in_flight, p_model => r.model,
               p_input_tokens => r.input_tokens, p_max_tokens => r.max_tokens, p_assets => p_assets,
               p_buys => p_buys[(r.i - 1) * v_assets + 1 : r.i * v_assets], p_settings_version => p_settings_version) h;
  END LOOP;
  -- A pool's placement turned the flush off for the transaction (commit_early_if_contended); the
  -- batch's holds are confirmed by nothing else.
  SET LOCAL synchronous_commit TO DEFAULT;
END
$$;
