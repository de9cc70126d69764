-- Counts spend charged against a hold (DESIGN.md "Spend limits and team pools"): adds p_amount
-- (negative: a refund subtracts) to the counters of the hold's scopes (credit.spend_scopes: its
-- person, payer and API key) for the periods the hold was placed in (credit.count_spend: a charge
-- counts in the period its hold was placed). For the settle statement, an authorization's capture
-- (the captured amount) and a refund of a turn, call or capture (minus the refunded amount).
-- Raises 'hold_not_found' for an unknown hold.
CREATE OR REPLACE FUNCTION credit.count_hold_spend(p_hold uuid, p_amount bigint)
RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
  h record;
BEGIN
  SELECT person_id, payer, api_key_id, created_at INTO h FROM credit.holds WHERE id = p_hold;
  IF NOT FOUND THEN RAISE EXCEPTION 'hold_not_found'; END IF;
  PERFORM credit.count_spend(credit.spend_scopes(h.person_id, h.payer, h.api_key_id), h.created_at, p_amount);
END
$$;
