-- Ends an active hold without a charge: 'released' (its LLM call failed) or 'expired' (its turn
-- never settled: the sweeper, or the person's next place). False when it is no longer active.
-- Lock order everywhere: the person's row, the payer's (lock_payer), the hold's row, then balance
-- rows (the trigger). The credit goes back to the hold's payer; a release only gives back, so a
-- pool's lock (which placing a hold takes to check its balance) is not needed here.
CREATE OR REPLACE FUNCTION credit.end_hold(p_hold uuid, p_status text, p_at timestamptz)
RETURNS boolean
LANGUAGE plpgsql
AS $$
DECLARE
  v_person uuid;
  v_status text;
  h credit.holds;
BEGIN
  SELECT person_id INTO v_person FROM credit.holds WHERE id = p_hold;
  IF NOT FOUND THEN RETURN false; END IF;
  SELECT account_status INTO v_status FROM persons WHERE id = v_person FOR NO KEY UPDATE;
  SELECT * INTO h FROM credit.holds WHERE id = p_hold FOR UPDATE;
  IF h.status <> 'active' THEN RETURN false; END IF;
  PERFORM credit.write_flow(
    p_kind => 'release', p_asset => h.asset, p_amount => h.amount, p_from => 'system:held', p_to => h.payer,
    p_person => h.person_id, p_key => 'release:' || h.id,
    p_metadata => jsonb_build_object('holdId', h.id, 'turnId', h.turn_id, 'reason', p_status), p_at => p_at);
  UPDATE credit.holds SET status = p_status, ended_at = p_at WHERE id = p_hold;
  IF v_status = 'deleted' AND h.payer = 'person:' || h.person_id THEN PERFORM credit.rezero(h.person_id, h.asset, h.id, p_at); END IF;
  RETURN true;
END
$$;
