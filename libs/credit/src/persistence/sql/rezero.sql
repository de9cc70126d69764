-- A deleted person's credit that comes back to them (a hold's release or settlement, a capture's
-- remainder, a staff refund) goes to system:void again, in the same transaction.
--   p_cause: what gave it back (a hold, an authorization, a refund): one zeroing per cause and
--   asset (its idempotency key), named on the flow under p_cause_field.
-- Answers the zeroing flow's id, NULL when the balance was already zero.
CREATE OR REPLACE FUNCTION credit.rezero(p_person uuid, p_asset text, p_cause uuid, p_at timestamptz, p_cause_field text DEFAULT 'holdId')
RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
  v_party text := 'person:' || p_person;
  v_balance bigint := credit.party_balance(v_party, p_asset);
BEGIN
  IF v_balance = 0 THEN RETURN NULL; END IF;
  RETURN (credit.write_flow(
    p_kind => 'zeroing', p_asset => p_asset, p_amount => abs(v_balance),
    p_from => CASE WHEN v_balance > 0 THEN v_party ELSE 'system:void' END,
    p_to => CASE WHEN v_balance > 0 THEN 'system:void' ELSE v_party END,
    p_person => p_person, p_key => 'zeroing:' || p_person || ':' || p_asset || ':' || p_cause,
    p_metadata => jsonb_build_object('reason', 'account_deleted', p_cause_field, p_cause), p_at => p_at)).flow_id;
END
$$;
