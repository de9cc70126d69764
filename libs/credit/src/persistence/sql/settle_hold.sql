-- Settle a turn's hold (DESIGN.md "Reservations"), inside the transaction that records the turns:
-- release the whole hold (system:held → payer, key 'release:<hold>'), charge each stage
-- (payer → system:consumed, key 'turn:<turn>:<stage>', priced by stage_charges), mark the hold
-- settled, count the charge as spend of the hold's scopes (count_spend: in the periods the hold
-- was placed in), and zero a deleted person's remainder again (rezero). The release and the
-- charges are one write_flows call: one INSERT statement.
--   p_stages: [{stage, model, tokens: {input, output, cacheRead, cacheWrite}}], each priced at the
--   rate rows its hold recorded when placed (stage_charges), so truthful usage never exceeds it.
--   The payer is the hold's: the person, or a team pool (its engagement row locked, lock_payer, only
--   when the settlement may cross its low-balance threshold; see below).
--   A hold the sweeper already expired is a late settlement: the payer is charged directly,
--   under the same keys (metadata 'overdraft': 'late_settlement' when it goes below zero).
--   Usage above the hold (a provider that misreports) is still charged and recorded
--   (metadata 'holdExceeded'), so verify can name the flow that caused a deficit.
--   p_low_thresholds (asset → credits): the answer tells whether this settlement crossed below
--   the asset's low-balance threshold, judged on the payer's whole credit (spendable plus what
--   its other holds hold), and then the person's address (credit.low) or, for a team pool, its
--   active owners' addresses (pool.low).
--   alerts: the budget.threshold crossings this settlement fired (spend_limits, spend_alerts):
--   [{kind: person | member | apiKey, period, periodStart, limit, spent, threshold: 80 | 100}].
--   p_settings_version: stale → 'stale_settings' and nothing written.
CREATE OR REPLACE FUNCTION credit.settle_hold(p_hold uuid, p_turn uuid, p_at timestamptz, p_stages jsonb,
                                              p_low_thresholds jsonb, p_settings_version bigint)
RETURNS TABLE (outcome text, person_id uuid, asset text, held bigint, charged bigint, balance_before bigint,
               balance_after bigint, hold_exceeded boolean, late boolean, stages jsonb,
               low_crossed boolean, credit_after bigint, low_threshold bigint, email text,
               pool_owner_emails text[], pool_name text, payer text, api_key_id uuid, alerts jsonb)
LANGUAGE plpgsql
-- Generic plans, planned once per connection: left to choose, the plan cache kept re-planning the
-- budget-alert query on every call (a custom plan, where its spend_limits branches that don't
-- apply fold away, looks cheaper than the generic one), which cost more than the rest of the
-- settlement together (~3 of its ~4.4 ms of server time on a loaded machine; BENCH_PROFILE
-- counted it as the function's self time).
SET plan_cache_mode = force_generic_plan
AS $$
#variable_conflict use_column
DECLARE
  v_status text;
  v_email text;
  h credit.holds;
  v_party text;
  v_balance bigint;
  v_after bigint;
  v_other_held bigint;
  v_stages integer := jsonb_array_length(p_stages);
  s jsonb;
  v_credits bigint[];
  v_rates jsonb[];
  v_total bigint;
  v_exceeded boolean;
  v_overdraft boolean;
  v_meta jsonb;
  v_threshold bigint;
  -- the settlement's flows (the release, then each charging stage's), written in one call
  f_kinds text[] := '{}';
  f_amounts bigint[] := '{}';
  f_from text[] := '{}';
  f_to text[] := '{}';
  f_keys text[] := '{}';
  f_meta jsonb[] := '{}';
  v_flow_of integer[] := '{}'; -- per stage, its flow's position among them (NULL: charged nothing)
  v_flow_ids bigint[];
  v_out jsonb := '[]'::jsonb;
BEGIN
  IF credit.settings_stale(p_settings_version) THEN
    outcome := 'stale_settings';
    RETURN NEXT;
    RETURN;
  END IF;
  -- The person's row first (found through the hold), then the hold's: the lock order everywhere.
  SELECT p.account_status, p.email INTO v_status, v_email
    FROM persons p WHERE p.id = (SELECT h0.person_id FROM credit.holds h0 WHERE h0.id = p_hold) FOR NO KEY UPDATE;
  -- A pool's lock is not taken here (only placing a hold needs it, to check the pool's balance):
  -- a settlement only gives back (release) and charges within what the hold already took, and
  -- its flows go to the member's balance slot (balance_slot), so members settle in parallel.
  -- It is taken below only when this settlement may cross the pool's low-balance threshold.
  SELECT * INTO h FROM credit.holds h1 WHERE h1.id = p_hold FOR UPDATE;
  IF NOT FOUND THEN RAISE EXCEPTION 'hold_not_found'; END IF;
  IF h.status = 'settled' OR h.charged IS NOT NULL THEN RAISE EXCEPTION 'hold_already_settled'; END IF;
  v_party := h.payer;
  late := h.status <> 'active';
  -- every stage in one call (stage_charges reads a model's rates once for all its stages), at the
  -- rates the hold was sized at: a rate change since applies to holds placed after it
  SELECT coalesce(array_agg(c.credits ORDER BY c.n), '{}'), coalesce(array_agg(c.rates ORDER BY c.n), '{}'), coalesce(sum(c.credits), 0)
    INTO v_credits, v_rates, v_total
    FROM credit.stage_charges(p_stages => p_stages, p_at => h.created_at, p_rate_ids => h.rate_ids) c;
  v_balance := credit.party_balance(v_party, h.asset);
  -- A team pool this settlement may take below its low-balance threshold: lock it now, before any
  -- balance row is written (the lock order), so the crossing is judged on its settled balance.
  -- Above the threshold no crossing is possible whatever the pool's other settlements do: each
  -- charges at most what its hold, already counted here, took.
  v_threshold := (p_low_thresholds ->> h.asset)::bigint;
  v_after := v_balance - v_total + (CASE WHEN late THEN 0 ELSE h.amount END);
  IF v_party LIKE 'engagement:%' AND v_threshold IS NOT NULL AND v_after < v_threshold THEN
    PERFORM credit.lock_payer(v_party);
    v_balance := credit.party_balance(v_party, h.asset);
  END IF;
  IF NOT late THEN
    f_kinds := ARRAY['release'];
    f_amounts := ARRAY[h.amount];
    f_from := ARRAY['system:held'];
    f_to := ARRAY[v_party];
    f_keys := ARRAY['release:' || h.id];
    f_meta := ARRAY[jsonb_build_object('holdId', h.id, 'turnId', h.turn_id, 'reason', 'settled')];
    v_balance := v_balance + h.amount;
  END IF;
  balance_before := v_balance;
  v_exceeded := v_total > h.amount;
  v_overdraft := late AND v_balance - v_total < 0;
  FOR i IN 0 .. v_stages - 1 LOOP
    v_flow_of := array_append(v_flow_of, NULL::integer);
    CONTINUE WHEN v_credits[i + 1] <= 0;
    s := p_stages -> i;
    v_meta := jsonb_build_object('turnId', p_turn, 'stage', s ->> 'stage', 'model', s ->> 'model',
                                 'tokens', s -> 'tokens', 'rates', v_rates[i + 1], 'holdId', h.id);
    IF v_exceeded THEN
      v_meta := v_meta || jsonb_build_object('holdExceeded', jsonb_build_object('holdId', h.id, 'held', h.amount, 'charged', v_total));
    END IF;
    IF v_overdraft THEN
      v_meta := v_meta || jsonb_build_object('overdraft', 'late_settlement');
    END IF;
    f_kinds := array_append(f_kinds, 'consumption');
    f_amounts := array_append(f_amounts, v_credits[i + 1]);
    f_from := array_append(f_from, v_party);
    f_to := array_append(f_to, 'system:consumed');
    f_keys := array_append(f_keys, 'turn:' || p_turn || ':' || (s ->> 'stage'));
    f_meta := array_append(f_meta, v_meta);
    v_flow_of[i + 1] := cardinality(f_kinds);
  END LOOP;
  IF cardinality(f_kinds) > 0 THEN
    v_flow_ids := ARRAY(
      SELECT w.flow_id FROM credit.write_flows(
        p_kinds => f_kinds, p_assets => array_fill(h.asset, ARRAY[cardinality(f_kinds)]), p_amounts => f_amounts,
        p_from => f_from, p_to => f_to, p_persons => array_fill(h.person_id, ARRAY[cardinality(f_kinds)]),
        p_keys => f_keys, p_metadata => f_meta, p_at => p_at) w
       ORDER BY w.n);
  END IF;
  FOR i IN 0 .. v_stages - 1 LOOP
    v_out := v_out || jsonb_build_object('stage', p_stages -> i ->> 'stage', 'credits', v_credits[i + 1],
                                         'flowId', v_flow_ids[v_flow_of[i + 1]]::text);
  END LOOP;
  -- the spend of the hold's scopes, in the periods it was placed in (count_spend's period rule)
  PERFORM credit.count_spend(credit.spend_scopes(h.person_id, h.payer, h.api_key_id), h.created_at, v_total);
  UPDATE credit.holds h2 SET status = CASE WHEN h2.status = 'active' THEN 'settled' ELSE h2.status END,
                             ended_at = coalesce(h2.ended_at, p_at), charged = v_total
   WHERE h2.id = p_hold;
  v_after := v_balance - v_total;
  -- budget.threshold: a limit of the hold's scopes (in the periods it was placed in) whose spend
  -- reached 80 % or 100 % fires once per scope, period and threshold (credit.spend_alerts); asked
  -- only when a limit is set (spend_limit_rules' query is the smaller one).
  alerts := '[]'::jsonb;
  IF v_total > 0 AND EXISTS (SELECT 1 FROM credit.spend_limit_rules(h.person_id, h.payer, h.api_key_id)) THEN
    WITH crossed AS (
      SELECT l.*, t.threshold FROM credit.spend_limits(h.person_id, h.payer, h.api_key_id, h.created_at) l
       CROSS JOIN (VALUES (80), (100)) AS t (threshold)
       WHERE l.spent * 100 >= l.limit_amount * t.threshold
    ), fired AS (
      INSERT INTO credit.spend_alerts AS a (scope, period, period_start, threshold, fired_at)
      SELECT crossed.scope, crossed.period, crossed.period_start, crossed.threshold, p_at FROM crossed
      ON CONFLICT DO NOTHING
      RETURNING a.scope, a.period, a.threshold
    )
    SELECT coalesce(jsonb_agg(jsonb_build_object(
             'kind', crossed.kind, 'period', crossed.period, 'periodStart', crossed.period_start,
             'limit', crossed.limit_amount, 'spent', crossed.spent, 'threshold', crossed.threshold)
             ORDER BY crossed.kind, crossed.period, crossed.threshold), '[]'::jsonb)
      INTO alerts
      FROM fired JOIN crossed USING (scope, period, threshold);
  END IF;
  low_crossed := false;
  IF v_status = 'deleted' AND v_party = 'person:' || h.person_id THEN
    PERFORM credit.rezero(h.person_id, h.asset, h.id, p_at);
    v_after := 0;
  ELSE
    -- A crossing is possible only when the spendable balance ended below the threshold; only
    -- then are the person's other active holds added up.
    v_threshold := (p_low_thresholds ->> h.asset)::bigint;
    -- (credit.low for a person's own credit; pool.low, mailed to the owners, for a team pool)
    IF v_threshold IS NOT NULL AND v_after < v_threshold THEN
      SELECT coalesce(sum(h3.amount), 0)::bigint INTO v_other_held
        FROM credit.holds h3 WHERE h3.payer = v_party AND h3.asset = h.asset AND h3.status = 'active';
      low_crossed := v_balance + v_other_held >= v_threshold AND v_after + v_other_held < v_threshold;
      IF low_crossed THEN
        credit_after := v_after + v_other_held;
        low_threshold := v_threshold;
        IF v_party = 'person:' || h.person_id THEN
          email := v_email;
        ELSE
          SELECT e.name INTO pool_name FROM engagements e WHERE e.id = substr(v_party, 12)::uuid;
          SELECT array_agg(p.email ORDER BY p.email) INTO pool_owner_emails
            FROM engagement_members m JOIN persons p ON p.id = m.person_id
           WHERE m.engagement_id = substr(v_party, 12)::uuid AND m.role = 'owner' AND p.account_status = 'active';
        END IF;
      END IF;
    END IF;
  END IF;
  outcome := 'settled';
  person_id := h.person_id;
  asset := h.asset;
  held := h.amount;
  charged := v_total;
  balance_after := v_after;
  hold_exceeded := v_exceeded;
  payer := h.payer;
  api_key_id := h.api_key_id;
  stages := v_out;
  RETURN NEXT;
END
$$;
