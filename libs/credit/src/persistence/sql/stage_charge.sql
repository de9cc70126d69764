-- What one pipeline stage costs (DESIGN.md "Oracle and tiers"): Σ tokens × rate over the token
-- kinds, as one exact fraction, rounded up once (ceil_credits). The rates: the model's rows among
-- p_rate_ids (those its hold recorded when placed, so a later rate change can't make the charge
-- exceed the hold), else the model's rates in force at p_at. Also the rate rows used, recorded
-- with the charge so it can be recomputed later.
-- A kind with tokens but no rate, or a model without rates, is refused ('missing_rate', DETAIL
-- '<model> <kind>'): a usage is never free by accident.
CREATE OR REPLACE FUNCTION credit.stage_charge(p_model text, p_tokens jsonb, p_at timestamptz, p_rate_ids bigint[] DEFAULT NULL,
                                               OUT credits bigint, OUT rates jsonb)
LANGUAGE plpgsql STABLE
AS $$
DECLARE
  k text;
  t numeric;
  r record;
  v_any boolean := false;
  v_priced text[] := '{}';
  acc_num numeric := 0;
  acc_den numeric := 1;
BEGIN
  rates := '[]'::jsonb;
  FOR r IN SELECT * FROM credit.held_rates(p_model, p_rate_ids, p_at) LOOP
    v_any := true;
    v_priced := v_priced || r.token_kind;
    t := coalesce((p_tokens ->> r.token_kind)::numeric, 0);
    CONTINUE WHEN t = 0;
    acc_num := acc_num * r.den + t * r.num * acc_den;
    acc_den := acc_den * r.den;
    rates := rates || jsonb_build_object('id', r.id::text, 'tokenKind', r.token_kind,
      'creditsPerMillion', CASE WHEN r.den = 1 THEN r.num::text ELSE r.num::text || '/' || r.den::text END);
  END LOOP;
  IF NOT v_any THEN RAISE EXCEPTION 'missing_rate' USING DETAIL = p_model || ' any'; END IF;
  FOREACH k IN ARRAY ARRAY['input', 'output', 'cacheRead', 'cacheWrite'] LOOP
    IF coalesce((p_tokens ->> k)::numeric, 0) <> 0 AND NOT k = ANY (v_priced) THEN
      RAISE EXCEPTION 'missing_rate' USING DETAIL = p_model || ' ' || k;
    END IF;
  END LOOP;
  credits := credit.ceil_credits(acc_num, acc_den);
END
$$;
