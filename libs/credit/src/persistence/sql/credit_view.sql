-- A payer's credit view (GET /me/credit, a team pool's, the admin credit views) in one call: per
-- asset the balance of the party ('person:<id>' or 'engagement:<id>'), what the active holds it
-- pays keep and those holds, plus the system_config version so the caller
-- can use tier settings cached at that version. A function, because its query took longer to plan
-- than to run; a function's plan is cached per connection.
CREATE OR REPLACE FUNCTION credit.credit_view(p_party text)
RETURNS TABLE (settings_version bigint, asset text, amount bigint, held bigint, holds json)
LANGUAGE plpgsql STABLE
AS $$
BEGIN
  RETURN QUERY
  SELECT v.version, c.asset, c.amount, c.held, c.holds
    FROM system_config_version v
    LEFT JOIN (
      SELECT coalesce(b.asset, h.asset) AS asset, coalesce(b.amount, 0)::bigint AS amount,
             coalesce(h.held, 0)::bigint AS held, h.holds
        FROM (SELECT bb.asset, sum(bb.amount) AS amount FROM credit.balances bb
               WHERE bb.party = p_party GROUP BY bb.asset) b
        FULL JOIN (SELECT hh.asset, sum(hh.amount) AS held,
                          json_agg(json_build_object('id', hh.id, 'personId', hh.person_id, 'amount', hh.amount::text, 'turnId', hh.turn_id,
                                                     'status', hh.status, 'expiresAt', hh.expires_at, 'createdAt', hh.created_at)
                                   ORDER BY hh.created_at DESC, hh.id) AS holds
                     FROM credit.holds hh WHERE hh.payer = p_party AND hh.status = 'active' GROUP BY hh.asset) h
          ON h.asset = b.asset) c ON true
   ORDER BY c.asset;
END
$$;
