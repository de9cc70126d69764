-- Place a Messages API request's hold (DESIGN.md "The Messages API"), one call before the provider
-- is called: gate the person and lock the payer (hold_gate; p_payer: 'person:<id>' or a team pool's
-- 'engagement:<id>'), size the request's proven bound once (its input bound at
-- the model's highest input-side rate, max_tokens at its output rate: bound_credits), and hold it
-- on the first asset in tier priority that buys the model and whose balance covers the bound.
-- max_tokens is never lowered: a bound no asset covers is refused.
--   p_assets: every tier asset in priority order; p_buys[i]: whether p_assets[i] pays for p_model
--   (system config credit_asset_models).
--   p_api_key: the request's API key (its limit applies; the hold records it for its spend).
--   Spend limits (spend_limits: the person's own credit or the member's in a pool, and the key's):
--   a bound the credit covers but a limit's headroom doesn't → 'limit_reached', retry_at the
--   latest end of the periods that are short (Retry-After); max_tokens is never lowered to fit.
--   p_settings_version: stale → 'stale_settings' and nothing written.
-- Outcomes: limit_reached | not_member (a pool payer the person no longer belongs to) | placed | account_suspended | account_deleted | turns_in_flight | stale_settings |
--   model_not_bought (the payer has credit, none of it in an asset that buys the model) |
--   credit_exhausted (amount: the bound; available / available_asset: the largest balance among
--   the assets that buy the model, or NULL when none does).
CREATE OR REPLACE FUNCTION credit.place_request_hold(
  p_person uuid, p_payer text, p_hold uuid, p_request uuid, p_at timestamptz, p_ttl_seconds integer, p_max_in_flight integer,
  p_model text, p_input_tokens bigint, p_max_tokens bigint, p_assets text[], p_buys boolean[], p_settings_version bigint,
  p_api_key uuid DEFAULT NULL)
RETURNS TABLE (outcome text, asset text, amount bigint, balance_before bigint, expires_at timestamptz,
               available bigint, available_asset text, retry_at timestamptz)
LANGUAGE plpgsql
AS $$
#variable_conflict use_column
DECLARE
  v_gate text;
  v_party text := p_payer;
  r record;
  v_amount bigint;
  v_balance bigint;
  v_available bigint;
  v_available_asset text;
  v_other_credit boolean := false;
  v_retry timestamptz;
  v_expires timestamptz := p_at + make_interval(secs => p_ttl_seconds);
  i integer;
BEGIN
  IF credit.settings_stale(p_settings_version) THEN
    RETURN QUERY SELECT 'stale_settings'::text, NULL::text, NULL::bigint, NULL::bigint, NULL::timestamptz, NULL::bigint, NULL::text, NULL::timestamptz;
    RETURN;
  END IF;
  v_gate := credit.hold_gate(p_person, p_payer, p_at, p_max_in_flight);
  IF v_gate <> 'open' THEN
    RETURN QUERY SELECT v_gate, NULL::text, NULL::bigint, NULL::bigint, NULL::timestamptz, NULL::bigint, NULL::text, NULL::timestamptz;
    RETURN;
  END IF;
  -- A key bound to a team draws its pool only while its person is a member. Two IFs, not one
  -- condition: a condition with a subquery is a statement the executor starts whatever its first
  -- operand, so a person payer's request would pay for the membership read it never needs.
  IF p_payer LIKE 'engagement:%' THEN
    IF NOT EXISTS (SELECT 1 FROM engagement_members m WHERE m.engagement_id = substr(p_payer, 12)::uuid AND m.person_id = p_person) THEN
      RETURN QUERY SELECT 'not_member'::text, NULL::text, NULL::bigint, NULL::bigint, NULL::timestamptz, NULL::bigint, NULL::text, NULL::timestamptz;
      RETURN;
    END IF;
  END IF;
  IF true = ANY (p_buys) THEN
    -- an assignment, not SELECT … INTO: a call plpgsql evaluates as an expression, without a statement of its own
    r := credit.bound_rates(p_model, p_at);
    v_amount := credit.bound_credits(r.in_num, r.in_den, r.out_num, r.out_den, p_input_tokens, p_max_tokens);
  END IF;
  FOR i IN 1 .. coalesce(array_length(p_assets, 1), 0) LOOP
    v_balance := credit.party_balance(v_party, p_assets[i]);
    IF NOT p_buys[i] THEN
      v_other_credit := v_other_credit OR v_balance > 0;
      CONTINUE;
    END IF;
    IF v_available IS NULL OR v_balance > v_available THEN
      v_available := v_balance;
      v_available_asset := p_assets[i];
    END IF;
    CONTINUE WHEN v_balance < v_amount;
    -- The credit covers it: the limits that apply (the person's own or the member's, and the
    -- key's) must too; refused until the latest end of a period whose headroom is short.
    -- (asked only when a limit is set: spend_limit_rules' query is the smaller one)
    IF EXISTS (SELECT 1 FROM credit.spend_limit_rules(p_person, p_payer, p_api_key)) THEN
      SELECT max(l.period_end) INTO v_retry FROM credit.spend_limits(p_person, p_payer, p_api_key, p_at) l
       WHERE l.limit_amount - l.spent - l.held < v_amount;
    END IF;
    IF v_retry IS NOT NULL THEN
      RETURN QUERY SELECT 'limit_reached'::text, NULL::text, v_amount, NULL::bigint, NULL::timestamptz, v_balance, p_assets[i], v_retry;
      RETURN;
    END IF;
    PERFORM credit.write_hold(
      p_hold => p_hold, p_person => p_person, p_payer => p_payer, p_asset => p_assets[i], p_amount => v_amount, p_turn => p_request,
      p_at => p_at, p_expires_at => v_expires, p_rate_ids => r.rate_ids,
      p_metadata => jsonb_build_object('request', jsonb_build_object(
        'model', p_model, 'inputTokens', p_input_tokens, 'maxTokens', p_max_tokens, 'credits', v_amount)),
      p_api_key => p_api_key);
    RETURN QUERY SELECT 'placed'::text, p_assets[i], v_amount, v_balance, v_expires, v_balance, p_assets[i], NULL::timestamptz;
    RETURN;
  END LOOP;
  IF coalesce(v_available, 0) <= 0 AND v_other_credit THEN
    RETURN QUERY SELECT 'model_not_bought'::text, NULL::text, v_amount, NULL::bigint, NULL::timestamptz, v_available, v_available_asset, NULL::timestamptz;
    RETURN;
  END IF;
  RETURN QUERY SELECT 'credit_exhausted'::text, NULL::text, v_amount, NULL::bigint, NULL::timestamptz, v_available, v_available_asset, NULL::timestamptz;
END
$$;
