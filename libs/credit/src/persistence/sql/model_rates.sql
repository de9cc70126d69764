-- The rate rows of every token kind of a model in force at p_at (the newest row effective by
-- then), in one query, kinds in the oracle's order: input, output, cacheRead, cacheWrite.
CREATE OR REPLACE FUNCTION credit.model_rates(p_model text, p_at timestamptz)
RETURNS TABLE (token_kind text, id bigint, num numeric, den numeric)
LANGUAGE sql STABLE
AS $$
  SELECT token_kind, id, num, den FROM (
    SELECT DISTINCT ON (r.token_kind) r.token_kind, r.id, r.credits_per_million_num::numeric AS num,
           r.credits_per_million_den::numeric AS den
      FROM credit.oracle_rate_config r
     WHERE r.model = p_model AND r.effective_from <= p_at
     ORDER BY r.token_kind, r.effective_from DESC, r.id DESC) x
   ORDER BY array_position(ARRAY['input', 'output', 'cacheRead', 'cacheWrite'], x.token_kind)
$$;
