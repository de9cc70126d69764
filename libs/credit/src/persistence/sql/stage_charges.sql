-- What each pipeline stage of a settlement costs (DESIGN.md "Oracle and tiers"), the one pricing
-- rule: per stage, Σ tokens × rate over the token kinds, as one exact fraction, rounded up once
-- (ceil_credits). The rates: the stage model's rows among p_rate_ids (those its hold recorded when
-- placed, so a later rate change can't make the charge exceed the hold), else the model's rates
-- in force at p_at (held_rates). Also the rate rows used, recorded with the charge so it can be
-- recomputed later.
--   p_stages: [{model, tokens: {input, output, cacheRead, cacheWrite}}, …]; one answer row per
--   stage, in order (n: 1-based).
-- A kind with tokens but no rate, or a model without rates, is refused ('missing_rate', DETAIL
-- '<model> <kind>'): a usage is never free by accident.
-- A model's rates are read once for all its stages (a turn's classify and respond stages are
-- usually one model): one query instead of one call and one query per stage.
CREATE OR REPLACE FUNCTION credit.stage_charges(p_stages jsonb, p_at timestamptz, p_rate_ids bigint[] DEFAULT NULL)
RETURNS TABLE (n integer, credits bigint, rates jsonb)
LANGUAGE plpgsql STABLE
AS $$
DECLARE
  v_model text;
  v_read text;          -- the model whose rates the arrays hold
  v_kinds text[];
  v_ids bigint[];
  v_nums numeric[];
  v_dens numeric[];
  v_tokens jsonb;
  k text;
  t numeric;
  acc_num numeric;
  acc_den numeric;
  i integer;
BEGIN
  FOR s IN 0 .. jsonb_array_length(p_stages) - 1 LOOP
    v_model := p_stages -> s ->> 'model';
    v_tokens := p_stages -> s -> 'tokens';
    IF s = 0 OR v_model IS DISTINCT FROM v_read THEN
      SELECT array_agg(h.token_kind), array_agg(h.id), array_agg(h.num), array_agg(h.den) INTO v_kinds, v_ids, v_nums, v_dens
        FROM credit.held_rates(v_model, p_rate_ids, p_at) h; -- in held_rates' order (input, output, cacheRead, cacheWrite)
      v_read := v_model;
    END IF;
    IF v_kinds IS NULL THEN RAISE EXCEPTION 'missing_rate' USING DETAIL = v_model || ' any'; END IF;
    FOREACH k IN ARRAY ARRAY['input', 'output', 'cacheRead', 'cacheWrite'] LOOP
      IF coalesce((v_tokens ->> k)::numeric, 0) <> 0 AND NOT k = ANY (v_kinds) THEN
        RAISE EXCEPTION 'missing_rate' USING DETAIL = v_model || ' ' || k;
      END IF;
    END LOOP;
    n := s + 1;
    rates := '[]'::jsonb;
    acc_num := 0;
    acc_den := 1;
    FOR i IN 1 .. cardinality(v_kinds) LOOP
      t := coalesce((v_tokens ->> v_kinds[i])::numeric, 0);
      CONTINUE WHEN t = 0;
      acc_num := acc_num * v_dens[i] + t * v_nums[i] * acc_den;
      acc_den := acc_den * v_dens[i];
      rates := rates || jsonb_build_object('id', v_ids[i]::text, 'tokenKind', v_kinds[i],
        'creditsPerMillion', CASE WHEN v_dens[i] = 1 THEN v_nums[i]::text ELSE v_nums[i]::text || '/' || v_dens[i]::text END);
    END LOOP;
    credits := credit.ceil_credits(acc_num, acc_den);
    RETURN NEXT;
  END LOOP;
END
$$;
