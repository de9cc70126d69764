-- The rates a stage is priced at: the model's rows among p_rate_ids (the rows its hold recorded
-- when placed, DESIGN.md "Converse pipeline" 6), or, when the hold recorded none for this model,
-- the model's rates in force at p_at. Same shape and order as model_rates.
CREATE OR REPLACE FUNCTION credit.held_rates(p_model text, p_rate_ids bigint[], p_at timestamptz)
RETURNS TABLE (token_kind text, id bigint, num numeric, den numeric)
LANGUAGE plpgsql STABLE
AS $$
BEGIN
  IF p_rate_ids IS NOT NULL THEN
    RETURN QUERY
      SELECT r.token_kind, r.id, r.credits_per_million_num::numeric, r.credits_per_million_den::numeric
        FROM credit.oracle_rate_config r
       WHERE r.id = ANY (p_rate_ids) AND r.model = p_model
       ORDER BY array_position(ARRAY['input', 'output', 'cacheRead', 'cacheWrite'], r.token_kind);
    IF FOUND THEN RETURN; END IF;
  END IF;
  RETURN QUERY SELECT * FROM credit.model_rates(p_model, p_at);
END
$$;
