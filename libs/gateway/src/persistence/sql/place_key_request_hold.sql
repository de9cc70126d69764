-- A Messages API request's first statement (DESIGN.md "The Messages API and API keys"): the API key
-- the request came with, resolved by its SHA-256, and the request's hold placed on the key's payer
-- by the ledger's own credit.place_request_hold — one round trip before the provider is called,
-- instead of a key read and then a hold.
--   p_key_sha256: SHA-256 of the presented key; a digest of no live (unrevoked) key → 'invalid_key',
--   nothing written. Revocation is therefore immediate: every request reads the key row.
--   The key's person is gated by place_request_hold (hold_gate: suspended or deleted → refused),
--   a key bound to a team engagement draws its pool (payer 'engagement:<id>'), the key's limit applies.
--   p_assets / p_buys / p_ttl_seconds / p_max_in_flight / p_settings_version: as place_request_hold.
--   No asset buys the model → 'model_not_bought' without a lock (after the key check: 401 before 403).
--   last_used_at is kept to the minute: written at most once a minute per key, not per request.
--   A contended payer (commit_early_if_contended: another request of the person's holds their row,
--   or a team pool pays) → this commit doesn't wait for its WAL flush and `confirm` is true: the
--   caller confirms the hold durable (credit.confirm_hold) before calling the provider.
-- Returns the key (api_key_id, person_id, engagement_id, key_sha256: the caller compares it in
-- constant time), place_request_hold's outcome columns and `confirm`.
CREATE OR REPLACE FUNCTION public.place_key_request_hold(
  p_key_sha256 bytea, p_hold uuid, p_request uuid, p_at timestamptz, p_ttl_seconds integer, p_max_in_flight integer,
  p_model text, p_input_tokens bigint, p_max_tokens bigint, p_assets text[], p_buys boolean[], p_settings_version bigint)
RETURNS TABLE (outcome text, api_key_id uuid, person_id uuid, engagement_id uuid, key_sha256 bytea,
               asset text, amount bigint, balance_before bigint, expires_at timestamptz,
               available bigint, available_asset text, retry_at timestamptz, confirm boolean)
LANGUAGE plpgsql
AS $$
#variable_conflict use_column
DECLARE
  k record;
  v_payer text;
  v_confirm boolean;
BEGIN
  SELECT ak.id, ak.person_id, ak.engagement_id, ak.key_sha256, ak.last_used_at INTO k
    FROM api_keys ak
   WHERE ak.key_sha256 = p_key_sha256 AND ak.revoked_at IS NULL;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'invalid_key'::text, NULL::uuid, NULL::uuid, NULL::uuid, NULL::bytea, NULL::text, NULL::bigint,
                        NULL::bigint, NULL::timestamptz, NULL::bigint, NULL::text, NULL::timestamptz, false;
    RETURN;
  END IF;
  IF k.last_used_at IS NULL OR k.last_used_at <= p_at - interval '1 minute' THEN
    UPDATE api_keys SET last_used_at = p_at WHERE id = k.id AND (last_used_at IS NULL OR last_used_at < p_at);
  END IF;
  IF NOT (true = ANY (p_buys)) THEN
    RETURN QUERY SELECT 'model_not_bought'::text, k.id, k.person_id, k.engagement_id, k.key_sha256, NULL::text, NULL::bigint,
                        NULL::bigint, NULL::timestamptz, NULL::bigint, NULL::text, NULL::timestamptz, false;
    RETURN;
  END IF;
  -- After the key's row (its last use), before anything of the person's: the lock order stays key, person, payer.
  v_payer := CASE WHEN k.engagement_id IS NULL THEN 'person:' || k.person_id ELSE 'engagement:' || k.engagement_id END;
  v_confirm := credit.commit_early_if_contended(p_person => k.person_id, p_pool_pays => k.engagement_id IS NOT NULL);
  RETURN QUERY
    SELECT h.outcome, k.id, k.person_id, k.engagement_id, k.key_sha256, h.asset, h.amount, h.balance_before, h.expires_at,
           h.available, h.available_asset, h.retry_at, v_confirm AND h.outcome = 'placed'
      FROM credit.place_request_hold(
             p_person => k.person_id,
             p_payer => v_payer,
             p_hold => p_hold, p_request => p_request, p_at => p_at, p_ttl_seconds => p_ttl_seconds, p_max_in_flight => p_max_in_flight,
             p_model => p_model, p_input_tokens => p_input_tokens, p_max_tokens => p_max_tokens, p_assets => p_assets, p_buys => p_buys,
             p_settings_version => p_settings_version, p_api_key => k.id) h;
END
$$;
