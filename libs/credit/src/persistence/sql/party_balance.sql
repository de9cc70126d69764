-- A party's balance in one asset: the sum over its slots (see balance_slot).
CREATE OR REPLACE FUNCTION credit.party_balance(p_party text, p_asset text)
RETURNS bigint
LANGUAGE plpgsql STABLE
AS $$
BEGIN
  RETURN (SELECT coalesce(sum(amount), 0)::bigint FROM credit.balances WHERE party = p_party AND asset = p_asset);
END
$$;
