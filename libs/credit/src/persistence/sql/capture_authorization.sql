-- Captures an authorization (DESIGN.md "Authorizations and refunds"), settled as a turn's hold is:
-- the whole hold is released (system:held → payer, key 'release:<id>'), the captured amount is
-- charged (payer → system:consumed, kind 'consumption', key 'authorization:<id>:capture'), the
-- hold is marked settled; what was not captured stays with the payer. A deleted person's
-- remainder is zeroed again (rezero), as for a turn's settlement. The captured amount counts in
-- the person's spend (credit.count_hold_spend: the periods the authorization was placed in); a
-- pool's authorization has no member, so no scope of it is counted.
--   A capture after the expiry is refused even before the sweep released the hold.
-- Outcomes: captured | authorization_not_found | authorization_not_active |
-- authorization_expired | capture_exceeds_authorization.
CREATE OR REPLACE FUNCTION credit.capture_authorization(p_id uuid, p_amount bigint, p_at timestamptz)
RETURNS TABLE (outcome text, charge_flow_id bigint)
LANGUAGE plpgsql
AS $$
#variable_conflict use_column
DECLARE
  a credit.authorizations;
  v_status text;
  v_flow bigint;
BEGIN
  SELECT * INTO a FROM credit.lock_authorization(p_id);
  IF a.id IS NULL THEN
    RETURN QUERY SELECT 'authorization_not_found'::text, NULL::bigint;
    RETURN;
  END IF;
  IF a.status = 'expired' OR (a.status = 'active' AND a.expires_at <= p_at) THEN
    RETURN QUERY SELECT 'authorization_expired'::text, NULL::bigint;
    RETURN;
  END IF;
  IF a.status <> 'active' THEN
    RETURN QUERY SELECT 'authorization_not_active'::text, NULL::bigint;
    RETURN;
  END IF;
  IF p_amount > a.amount THEN
    RETURN QUERY SELECT 'capture_exceeds_authorization'::text, NULL::bigint;
    RETURN;
  END IF;
  PERFORM 1 FROM credit.holds h WHERE h.id = p_id AND h.status = 'active' FOR UPDATE;
  IF NOT FOUND THEN
    -- its hold was ended by another sweep at its expiry: the authorization is over
    RETURN QUERY SELECT 'authorization_expired'::text, NULL::bigint;
    RETURN;
  END IF;
  PERFORM credit.write_flow(
    p_kind => 'release', p_asset => a.asset, p_amount => a.amount, p_from => 'system:held', p_to => a.payer,
    p_person => a.person_id, p_key => 'release:' || a.id,
    p_metadata => jsonb_build_object('holdId', a.id, 'authorizationId', a.id, 'reason', 'captured'), p_at => p_at);
  IF p_amount > 0 THEN
    v_flow := (credit.write_flow(
      p_kind => 'consumption', p_asset => a.asset, p_amount => p_amount, p_from => a.payer, p_to => 'system:consumed',
      p_person => a.person_id, p_key => 'authorization:' || a.id || ':capture',
      p_metadata => jsonb_build_object('holdId', a.id, 'authorizationId', a.id), p_at => p_at)).flow_id;
  END IF;
  -- the capture counts in the payer's spend of the periods the authorization was placed in
  PERFORM credit.count_hold_spend(p_id, p_amount);
  UPDATE credit.holds h SET status = 'settled', ended_at = p_at, charged = p_amount WHERE h.id = p_id;
  UPDATE credit.authorizations x SET status = 'captured', captured = p_amount, ended_at = p_at WHERE x.id = p_id;
  IF a.person_id IS NOT NULL THEN
    SELECT p.account_status INTO v_status FROM persons p WHERE p.id = a.person_id;
    IF v_status = 'deleted' THEN PERFORM credit.rezero(a.person_id, a.asset, a.id, p_at); END IF;
  END IF;
  RETURN QUERY SELECT 'captured'::text, v_flow;
END
$$;
