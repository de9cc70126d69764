-- Settle a turn's hold (DESIGN.md "Reservations"), inside the transaction that records the turns:
-- release the whole hold (system:held → payer, key 'release:<hold>'), charge each stage
-- (payer → system:consumed, key 'turn:<turn>:<stage>', priced by stage_charge), mark the hold
-- settled, count the charge as spend of the hold's scopes (count_spend: in the periods the hold
-- was placed in), and zero a deleted person's remainder again (rezero).
--   p_stages: [{stage, model, tokens: {input, output, cacheRead, cacheWrite}}], each priced at the
--   rate rows its hold recorded when placed (stage_charge), so truthful usage never exceeds it.
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
AS $$
#variable_conflict use_column
DECLARE
  v_person uuid;
  v_status text;
  v_email text;
  h credit.holds;
  v_party text;
  v_balance bigint;
  v_after bigint;
  v_other_held bigint;
  s jsonb;
  v_charge record;
  v_charges jsonb := '[]'::jsonb;
  v_total bigint := 0;
  v_exceeded boolean;
  v_flow bigint;
  v_out jsonb := '[]'::jsonb;
  v_meta jsonb;
  v_threshold bigint;
BEGIN
  IF credit.settings_stale(p_settings_version) THEN
    outcome := 'stale_settings';
    RETURN NEXT;
    RETURN;
  END IF;
  SELECT h0.person_id INTO v_person FROM credit.holds h0 WHERE h0.id = p_hold;
  IF NOT FOUND THEN RAISE EXCEPTION 'hold_not_found'; END IF;
  SELECT account_status, p.email INTO v_status, v_email FROM persons p WHERE p.id = v_person FOR NO KEY UPDATE;
  -- A pool's lock is not taken here (only placing a hold needs it, to check the pool's balance):
  -- a settlement only gives back (release) and charges within what the hold already took, and
  -- its flows go to the member's balance slot (balance_slot), so members settle in parallel.
  -- It is taken below only when this settlement may cross the pool's low-balance threshold.
  SELECT * INTO h FROM credit.holds h1 WHERE h1.id = p_hold FOR UPDATE;
  IF h.status = 'settled' OR h.charged IS NOT NULL THEN RAISE EXCEPTION 'hold_already_settled'; END IF;
  v_party := h.payer;
  late := h.status <> 'active';
  FOR s IN SELECT * FROM jsonb_array_elements(p_stages) LOOP
    -- at the rates the hold was sized at: a rate change since applies to holds placed after it
    SELECT * INTO v_charge FROM credit.stage_charge(
      p_model => s ->> 'model', p_tokens => s -> 'tokens', p_at => h.created_at, p_rate_ids => h.rate_ids);
    v_charges := v_charges || jsonb_build_object('credits', v_charge.credits, 'rates', v_charge.rates);
    v_total := v_total + v_charge.credits;
  END LOOP;
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
    PERFORM credit.write_flow(
      p_kind => 'release', p_asset => h.asset, p_amount => h.amount, p_from => 'system:held', p_to => v_party,
      p_person => h.person_id, p_key => 'release:' || h.id,
      p_metadata => jsonb_build_object('holdId', h.id, 'turnId', h.turn_id, 'reason', 'settled'), p_at => p_at);
    v_balance := v_balance + h.amount;
  END IF;
  balance_before := v_balance;
  v_exceeded := v_total > h.amount;
  FOR i IN 0 .. jsonb_array_length(p_stages) - 1 LOOP
    s := p_stages -> i;
    v_flow := NULL;
    IF (v_charges -> i ->> 'credits')::bigint > 0 THEN
      v_meta := jsonb_build_object('turnId', p_turn, 'stage', s ->> 'stage', 'model', s ->> 'model',
                                   'tokens', s -> 'tokens', 'rates', v_charges -> i -> 'rates', 'holdId', h.id);
      IF v_exceeded THEN
        v_meta := v_meta || jsonb_build_object('holdExceeded', jsonb_build_object('holdId', h.id, 'held', h.amount, 'charged', v_total));
      END IF;
      IF late AND v_balance - v_total < 0 THEN
        v_meta := v_meta || jsonb_build_object('overdraft', 'late_settlement');
      END IF;
      v_flow := (credit.write_flow(
        p_kind => 'consumption', p_asset => h.asset, p_amount => (v_charges -> i ->> 'credits')::bigint,
        p_from => v_party, p_to => 'system:consumed', p_person => h.person_id,
        p_key => 'turn:' || p_turn || ':' || (s ->> 'stage'), p_metadata => v_meta, p_at => p_at)).flow_id;
    END IF;
    v_out := v_out || jsonb_build_object('stage', s ->> 'stage', 'credits', (v_charges -> i ->> 'credits')::bigint, 'flowId', v_flow::text);
  END LOOP;
  -- the spend of the hold's scopes, in the periods it was placed in (count_spend's period rule)
  PERFORM credit.count_spend(credit.spend_scopes(h.person_id, h.payer, h.api_key_id), h.created_at, v_total);
  UPDATE credit.holds h2 SET status = CASE WHEN h2.status = 'active' THEN 'settled' ELSE h2.status END,
                             ended_at = coalesce(h2.ended_at, p_at), charged = v_total
   WHERE h2.id = p_hold;
  v_after := v_balance - v_total;
  -- budget.threshold: a limit of the hold's scopes (in the periods it was placed in) whose spend
  -- reached 80 % or 100 % fires once per scope, period and threshold (credit.spend_alerts).
  alerts := '[]'::jsonb;
  IF v_total > 0 THEN
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
