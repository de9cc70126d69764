-- A party's balance in one asset: the sum over its slots (see balance_slot, party_balances).
CREATE OR REPLACE FUNCTION credit.party_balance(p_party text, p_asset text)
RETURNS bigint
LANGUAGE sql STABLE
AS $$
  SELECT amount FROM credit.party_balances(p_party, ARRAY[p_asset])
$$;
