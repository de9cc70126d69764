-- Writes a hold (DESIGN.md "Reservations", ledger form): its row in credit.holds and its flow
-- payer → system:held (kind 'hold', key 'hold:<id>'), so the payer's balance (the person's, or a
-- team pool's) is what can still be spent. The caller passed hold_gate and checked the amount against the balance.
-- p_rate_ids: the rate rows the hold was sized at (bound_rates), its stages are priced at them.
-- p_api_key: the API key a Messages API request's hold is for (its limit's scope, spend_scopes).
CREATE OR REPLACE FUNCTION credit.write_hold(p_hold uuid, p_person uuid, p_payer text, p_asset text, p_amount bigint, p_turn uuid,
                                             p_at timestamptz, p_expires_at timestamptz, p_rate_ids bigint[], p_metadata jsonb,
                                             p_api_key uuid DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
  INSERT INTO credit.holds (id, person_id, payer, asset, amount, turn_id, status, expires_at, created_at, rate_ids, metadata, api_key_id)
  VALUES (p_hold, p_person, p_payer, p_asset, p_amount, p_turn, 'active', p_expires_at, p_at, p_rate_ids, p_metadata, p_api_key);
  PERFORM credit.write_flows(
    p_kinds => ARRAY['hold'], p_assets => ARRAY[p_asset], p_amounts => ARRAY[p_amount], p_from => ARRAY[p_payer],
    p_to => ARRAY['system:held'], p_persons => ARRAY[p_person], p_keys => ARRAY['hold:' || p_hold],
    p_metadata => ARRAY[jsonb_build_object('holdId', p_hold, 'turnId', p_turn)], p_at => p_at);
END
$$;
