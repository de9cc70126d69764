-- Refunds a charge (DESIGN.md "Authorizations and refunds"): staff give back part or all of what
-- the `consumption` flows under p_keys charged (a turn's stages, one LLM call's, a capture's), as
-- `reversal` flows system:consumed → the payer, key 'refund:<refund>:<charge flow id>'.
--   Under the payer's lock (the person's row, or the pool's engagement row: lock_payer), so
--   parallel refunds of one charge run one after the other and never give back more than it
--   charged in total: what is left is each charge flow's amount minus its credit.refunds rows.
--   p_amount: credits to refund, taken from the charge flows in p_keys order; NULL: all that is left.
--   Each refunded part is subtracted from the spend counters of the periods its charge counted in
--   (credit.count_hold_spend on the charge's hold).
--   p_metadata: the refund's references and staff's reason, kept on each reversal flow.
--   A deleted person's refund flows as any other (the charge is corrected in the ledger and in
--   usage) and what it gives back is zeroed again to system:void in the same statement (rezero,
--   as a deleted person's settlement), so no credit lands on an account nobody can use.
-- Outcomes: refunded | not_found (no charge flow under the keys) | refund_exceeds_charge.
-- flow_ids: the reversal flows, then the zeroing flows (a deleted person's); voided: what those
-- zeroed (0 for a live payer).
CREATE OR REPLACE FUNCTION credit.refund_charges(p_refund uuid, p_keys text[], p_amount bigint, p_metadata jsonb, p_at timestamptz)
RETURNS TABLE (outcome text, payer text, asset text, charged bigint, refunded bigint, total_refunded bigint, flow_ids bigint[], voided bigint)
LANGUAGE plpgsql
AS $$
#variable_conflict use_column
DECLARE
  v_payer text;
  v_status text;
  v_charged bigint;
  v_before bigint;
  v_left bigint;
  v_take bigint;
  v_flow bigint;
  v_flows bigint[] := '{}';
  v_zeroings bigint[] := '{}';
  v_asset text;
  c record;
BEGIN
  SELECT f.from_party INTO v_payer FROM credit.flows f
   WHERE f.idempotency_key = ANY (p_keys) AND f.kind = 'consumption' LIMIT 1;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'not_found'::text, NULL::text, NULL::text, NULL::bigint, NULL::bigint, NULL::bigint, NULL::bigint[], NULL::bigint;
    RETURN;
  END IF;
  IF v_payer LIKE 'person:%' THEN
    SELECT p.account_status INTO v_status FROM persons p WHERE p.id = substr(v_payer, 8)::uuid FOR NO KEY UPDATE;
  END IF;
  PERFORM credit.lock_payer(v_payer);
  -- read under the lock: every refund of these charges before this one has committed
  SELECT sum(f.amount)::bigint, coalesce(sum((SELECT sum(r.amount) FROM credit.refunds r WHERE r.charge_flow_id = f.id)), 0)::bigint
    INTO v_charged, v_before
    FROM credit.flows f WHERE f.idempotency_key = ANY (p_keys) AND f.kind = 'consumption';
  v_left := coalesce(p_amount, v_charged - v_before);
  IF v_left <= 0 OR v_left > v_charged - v_before THEN
    RETURN QUERY SELECT 'refund_exceeds_charge'::text, v_payer, NULL::text, v_charged, 0::bigint, v_before, NULL::bigint[], NULL::bigint;
    RETURN;
  END IF;
  FOR c IN
    SELECT f.id, f.asset, f.amount, f.from_party, f.person_id, f.idempotency_key, f.metadata,
           f.amount - coalesce((SELECT sum(r.amount) FROM credit.refunds r WHERE r.charge_flow_id = f.id), 0) AS refundable
      FROM credit.flows f
      JOIN unnest(p_keys) WITH ORDINALITY AS k (key, n) ON k.key = f.idempotency_key
     WHERE f.kind = 'consumption'
     ORDER BY k.n
  LOOP
    EXIT WHEN v_left = 0;
    IF c.from_party <> v_payer THEN RAISE EXCEPTION 'a refund gives back to one payer: % and %', v_payer, c.from_party; END IF;
    v_take := least(v_left, c.refundable);
    CONTINUE WHEN v_take <= 0;
    v_flow := (credit.write_flow(
      p_kind => 'reversal', p_asset => c.asset, p_amount => v_take, p_from => 'system:consumed', p_to => v_payer,
      p_person => c.person_id, p_key => 'refund:' || p_refund || ':' || c.id,
      p_metadata => jsonb_strip_nulls(jsonb_build_object(
        'refundId', p_refund, 'chargeFlowId', c.id::text, 'chargeKey', c.idempotency_key,
        'turnId', c.metadata ->> 'turnId', 'stage', c.metadata ->> 'stage', 'model', c.metadata ->> 'model',
        'holdId', c.metadata ->> 'holdId', 'authorizationId', c.metadata ->> 'authorizationId')) || coalesce(p_metadata, '{}'::jsonb),
      p_at => p_at)).flow_id;
    INSERT INTO credit.refunds (flow_id, refund_id, charge_flow_id, amount, created_at) VALUES (v_flow, p_refund, c.id, v_take, p_at);
    IF c.metadata ? 'holdId' AND EXISTS (SELECT 1 FROM credit.holds h WHERE h.id = (c.metadata ->> 'holdId')::uuid) THEN
      PERFORM credit.count_hold_spend((c.metadata ->> 'holdId')::uuid, -v_take);
    END IF;
    v_flows := v_flows || v_flow;
    v_left := v_left - v_take;
  END LOOP;
  IF v_status = 'deleted' THEN
    FOR v_asset IN SELECT DISTINCT f.asset FROM credit.flows f WHERE f.id = ANY (v_flows) LOOP
      v_flow := credit.rezero(substr(v_payer, 8)::uuid, v_asset, p_refund, p_at, 'refundId');
      IF v_flow IS NOT NULL THEN v_zeroings := v_zeroings || v_flow; END IF;
    END LOOP;
  END IF;
  RETURN QUERY SELECT 'refunded'::text, v_payer, (SELECT f.asset FROM credit.flows f WHERE f.id = v_flows[1]), v_charged,
                      coalesce(p_amount, v_charged - v_before), v_before + coalesce(p_amount, v_charged - v_before), v_flows || v_zeroings,
                      (SELECT coalesce(sum(CASE WHEN f.to_party = 'system:void' THEN f.amount ELSE -f.amount END), 0)::bigint
                         FROM credit.flows f WHERE f.id = ANY (v_zeroings));
END
$$;
