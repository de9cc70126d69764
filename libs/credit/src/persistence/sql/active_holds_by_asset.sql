-- Per asset, the active holds and the credit they reserve: what /metrics reports. Other modules
-- read holds through this function, never the table (a partial index on active holds keeps it cheap).
CREATE OR REPLACE FUNCTION credit.active_holds_by_asset()
RETURNS TABLE (asset text, active integer, held bigint)
LANGUAGE plpgsql STABLE
AS $$
BEGIN
  RETURN QUERY
    SELECT h.asset, count(*)::integer, sum(h.amount)::bigint
      FROM credit.holds h
     WHERE h.status = 'active'
     GROUP BY h.asset;
END
$$;
