-- The rates a stage is priced at: the model's rows among p_rate_ids (the rows its hold recorded
-- when placed, DESIGN.md "Converse pipeline" 6), or, when the hold recorded none for this model,
-- the model's rates in force at p_at. Same shape and order as model_rates.
CREATE OR REPLACE FUNCTION credit.held_rates(p_model text, p_rate_ids bigint[], p_at timestamptz)
RETURNS TABLE (token_kind text, id bigint, num numeric, den numeric)
LANGUAGE sql STABLE
AS $$
  -- SQL, not plpgsql: a set-returning SQL function is inlined into the query that calls it, so
  -- stage_charge's loop over it is one query planned once per connection, not a nested call per stage
  SELECT h.token_kind, h.id, h.num, h.den FROM (
    SELECT r.token_kind, r.id, r.credits_per_million_num::numeric AS num, r.credits_per_million_den::numeric AS den
      FROM credit.oracle_rate_config r
     WHERE r.id = ANY (p_rate_ids) AND r.model = p_model
    UNION ALL
    SELECT m.token_kind, m.id, m.num, m.den FROM credit.model_rates(p_model, p_at) m
     WHERE NOT EXISTS (SELECT 1 FROM credit.oracle_rate_config r WHERE r.id = ANY (p_rate_ids) AND r.model = p_model)) h
   ORDER BY array_position(ARRAY['input', 'output', 'cacheRead', 'cacheWrite'], h.token_kind)
$$;
