-- The ledger's one rounding rule (DESIGN.md "Oracle and tiers"): p_num / p_den credit-millionths
-- (tokens × credits per million tokens, a stage summed as one exact fraction) rounded UP to whole
-- credits, once. Every charge and every hold bound is rounded here and nowhere else.
-- p_num ≥ 0 and p_den > 0 are integers (products of token counts and rate fractions).
CREATE OR REPLACE FUNCTION credit.ceil_credits(p_num numeric, p_den numeric)
RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
  SELECT div(p_num + p_den * 1000000 - 1, p_den * 1000000)::bigint
$$;
