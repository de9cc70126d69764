-- Place a turn's hold (DESIGN.md "Reservations"), one call before any LLM call: gate the person
-- (hold_gate), check the spend limits, lock the payer (lock_payer) and pick the tier from its
-- balances, size the hold, write it.
--   p_payer: who pays — 'person:<id>' (the person's own credit) or 'engagement:<id>' (a team pool).
--   p_assets / p_models: the tiers in priority order and their responder models.
--   Sizing: the classify stage's bound is its input bound and max_tokens (bound_credits); the
--   respond stage gets the largest max_tokens ≤ p_respond_max the rest of the tier's balance
--   covers; below p_min_tokens the next tier is tried; none → 'credit_exhausted'.
--   Spend limits (spend_limits; DESIGN.md "Spend limits and team pools"): the hold never exceeds
--   the smallest headroom of the limits that apply (the person's own credit: staff's and the
--   person's own; in a pool: the member's), so the respond stage's max_tokens is lowered to it as
--   to the balance; when the balance would carry the turn and the headroom can't → 'limit_reached'.
--   p_settings_version: the system_config version the caller's settings were read at; stale →
--   'stale_settings' and nothing written.
--   p_async_commit: for a team pool only, and only for a caller that runs this as a statement of
--   its own and confirms a placed hold (confirm_hold) before acting on it: the statement commits
--   without waiting for its WAL flush. Placing is the one write that holds the pool's lock
--   (lock_payer), and a lock is released only after the commit; waiting for the flush under it
--   would serialize every member's placement on the disk (~2 ms each), the pool's whole ceiling.
--   Others may see the hold before it is durable, which only makes their own check stricter.
-- Outcomes: placed | account_suspended | account_deleted | turns_in_flight | credit_exhausted | limit_reached | stale_settings.
CREATE OR REPLACE FUNCTION credit.place_hold(
  p_person uuid, p_payer text, p_hold uuid, p_turn uuid, p_at timestamptz, p_ttl_seconds integer,
  p_max_in_flight integer, p_min_tokens integer, p_classifier text,
  p_classify_input bigint, p_classify_max bigint, p_respond_input bigint, p_respond_max bigint,
  p_assets text[], p_models text[], p_settings_version bigint, p_async_commit boolean DEFAULT false)
RETURNS TABLE (outcome text, asset text, responder_model text, amount bigint, max_tokens bigint,
               balance_before bigint, expires_at timestamptz)
LANGUAGE plpgsql
AS $$
#variable_conflict use_column
DECLARE
  v_gate text;
  c record;
  r record;
  v_classify bigint;
  v_balance bigint;
  v_budget numeric;
  v_tokens numeric;
  v_respond bigint;
  v_headroom bigint;
  v_limited boolean := false;
  v_expires timestamptz := p_at + make_interval(secs => p_ttl_seconds);
  i integer;
BEGIN
  IF p_async_commit AND p_payer LIKE 'engagement:%' THEN
    PERFORM set_config('synchronous_commit', 'off', true); -- this transaction's commit only
  END IF;
  IF credit.settings_stale(p_settings_version) THEN
    RETURN QUERY SELECT 'stale_settings'::text, NULL::text, NULL::text, NULL::bigint, NULL::bigint, NULL::bigint, NULL::timestamptz;
    RETURN;
  END IF;
  -- The payer's lock is taken below, just before its balance is read: a pool's members queue on it.
  v_gate := credit.hold_gate(p_person, p_payer, p_at, p_max_in_flight, p_lock_payer => false);
  IF v_gate <> 'open' THEN
    RETURN QUERY SELECT v_gate, NULL::text, NULL::text, NULL::bigint, NULL::bigint, NULL::bigint, NULL::timestamptz;
    RETURN;
  END IF;
  -- Spend limits (spend_limits: the person's own, or the member's in the pool): the turn may hold
  -- at most the smallest headroom left in their periods; NULL when no limit applies.
  -- (asked only when a limit is set: spend_limit_rules' query is the smaller one)
  IF EXISTS (SELECT 1 FROM credit.spend_limit_rules(p_person, p_payer, NULL)) THEN
    SELECT min(l.limit_amount - l.spent - l.held) INTO v_headroom FROM credit.spend_limits(p_person, p_payer, NULL, p_at) l;
  END IF;
  -- From here to the commit the payer is locked (a team pool's row; a person's is already): the
  -- balance read, the sizing and the hold's write are all that members of a pool wait for.
  IF p_payer LIKE 'engagement:%' THEN PERFORM credit.lock_payer(p_payer); END IF;
  FOR i IN 1 .. coalesce(array_length(p_assets, 1), 0) LOOP
    v_balance := credit.party_balance(p_payer, p_assets[i]);
    CONTINUE WHEN v_balance <= 0;
    IF v_classify IS NULL THEN
      c := credit.bound_rates(p_classifier, p_at); -- an expression, not a statement of its own (SELECT … INTO)
      v_classify := credit.bound_credits(c.in_num, c.in_den, c.out_num, c.out_den, p_classify_input, p_classify_max);
    END IF;
    -- the classifier's rates again when the tier's responder is the same model (read once)
    IF p_models[i] = p_classifier THEN r := c; ELSE r := credit.bound_rates(p_models[i], p_at); END IF;
    -- the largest m with (input × in + m × out) / 10^6 ≤ budget, all as exact fractions
    v_budget := least(v_balance, coalesce(v_headroom, v_balance)) - v_classify; -- whole credits left for the respond stage
    v_tokens := v_budget * 1000000 * r.in_den * r.out_den - p_respond_input * r.in_num * r.out_den;
    v_tokens := CASE WHEN v_budget <= 0 OR v_tokens < 0 THEN -1 ELSE least(div(v_tokens, r.out_num * r.in_den), p_respond_max) END;
    IF v_tokens < p_min_tokens THEN
      -- Too little: when the balance alone would have carried the turn, the limit refused it.
      IF v_headroom < v_balance AND NOT v_limited THEN
        v_tokens := (v_balance - v_classify) * 1000000 * r.in_den * r.out_den - p_respond_input * r.in_num * r.out_den;
        v_limited := v_balance - v_classify > 0 AND v_tokens >= 0
                     AND least(div(v_tokens, r.out_num * r.in_den), p_respond_max) >= p_min_tokens;
      END IF;
      CONTINUE;
    END IF;
    v_respond := credit.bound_credits(r.in_num, r.in_den, r.out_num, r.out_den, p_respond_input, v_tokens);
    PERFORM credit.write_hold(
      p_hold => p_hold, p_person => p_person, p_payer => p_payer, p_asset => p_assets[i], p_amount => v_classify + v_respond, p_turn => p_turn,
      p_at => p_at, p_expires_at => v_expires, p_rate_ids => c.rate_ids || r.rate_ids,
      p_metadata => jsonb_build_object('classifier', p_classifier, 'responder', p_models[i],
        'classify', jsonb_build_object('inputTokens', p_classify_input, 'maxTokens', p_classify_max, 'credits', v_classify),
        'respond', jsonb_build_object('inputTokens', p_respond_input, 'maxTokens', v_tokens, 'credits', v_respond)));
    outcome := 'placed';
    asset := p_assets[i];
    responder_model := p_models[i];
    amount := v_classify + v_respond;
    max_tokens := v_tokens;
    balance_before := v_balance;
    expires_at := v_expires;
    RETURN NEXT;
    RETURN;
  END LOOP;
  RETURN QUERY SELECT CASE WHEN v_limited THEN 'limit_reached' ELSE 'credit_exhausted' END,
                      NULL::text, NULL::text, NULL::bigint, NULL::bigint, NULL::bigint, NULL::timestamptz;
END
$$;
