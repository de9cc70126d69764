-- A deleted person's credit that a hold gives back (release or settlement) goes to system:void
-- again, in the same transaction.
CREATE OR REPLACE FUNCTION credit.rezero(p_person uuid, p_asset text, p_hold uuid, p_at timestamptz)
RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
  v_party text := 'person:' || p_person;
  v_balance bigint := credit.party_balance(v_party, p_asset);
BEGIN
  IF v_balance = 0 THEN RETURN; END IF;
  PERFORM credit.write_flow(
    p_kind => 'zeroing', p_asset => p_asset, p_amount => abs(v_balance),
    p_from => CASE WHEN v_balance > 0 THEN v_party ELSE 'system:void' END,
    p_to => CASE WHEN v_balance > 0 THEN 'system:void' ELSE v_party END,
    p_person => p_person, p_key => 'zeroing:' || p_person || ':' || p_asset || ':' || p_hold,
    p_metadata => jsonb_build_object('reason', 'account_deleted', 'holdId', p_hold), p_at => p_at);
END
$$;
