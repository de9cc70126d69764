-- Locks a team pool's engagement row (DESIGN.md "Spend limits and team pools"): every hold a pool
-- pays takes it (and a settlement that may cross the pool's low-balance threshold), after the
-- person's row and before any balance row, so parallel turns of its members are checked against
-- the pool's balance one at a time, as a person's own turns are under the person's row lock. A person payer needs nothing more: its row
-- is the person's. Raises 'engagement_not_found' for an unknown pool.
CREATE OR REPLACE FUNCTION credit.lock_payer(p_payer text)
RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
  IF p_payer LIKE 'engagement:%' THEN
    PERFORM 1 FROM engagements WHERE id = substr(p_payer, 12)::uuid AND NOT personal FOR NO KEY UPDATE;
    IF NOT FOUND THEN RAISE EXCEPTION 'engagement_not_found' USING DETAIL = substr(p_payer, 12); END IF;
  END IF;
END
$$;
