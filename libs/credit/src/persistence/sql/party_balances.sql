-- A party's balance in each of p_assets (DESIGN.md "Ledger"): the sum over its slots
-- (balance_slot), 0 where it has none, one row per asset in p_assets' order (ord). One read for
-- every tier a placement weighs, instead of one call per tier; party_balance is its one-asset form.
CREATE OR REPLACE FUNCTION credit.party_balances(p_party text, p_assets text[])
RETURNS TABLE (ord bigint, asset text, amount bigint)
LANGUAGE sql STABLE
AS $$
  SELECT a.ord, a.asset,
         coalesce((SELECT sum(b.amount) FROM credit.balances b WHERE b.party = p_party AND b.asset = a.asset), 0)::bigint
    FROM unnest(p_assets) WITH ORDINALITY AS a (asset, ord)
$$;
