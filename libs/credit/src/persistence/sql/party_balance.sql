-- A party's balance in one asset: the sum over its slots (see balance_slot, party_balances).
-- plpgsql, not SQL: a scalar SQL function over a table is not inlined, and before Postgres 18 its
-- body would be planned on every call; here the query (party_balances, inlined) is planned once per
-- connection.
CREATE OR REPLACE FUNCTION credit.party_balance(p_party text, p_asset text)
RETURNS bigint
LANGUAGE plpgsql STABLE
AS $$
BEGIN
  RETURN (SELECT b.amount FROM credit.party_balances(p_party, ARRAY[p_asset]) b);
END
$$;
