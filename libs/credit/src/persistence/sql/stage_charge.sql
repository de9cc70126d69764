-- What one pipeline stage costs (DESIGN.md "Oracle and tiers"): stage_charges, the pricing rule,
-- for one stage — Σ tokens × rate over the token kinds as one exact fraction, rounded up once; the
-- rates: the model's rows among p_rate_ids, else its rates in force at p_at; also the rate rows
-- used. A kind with tokens but no rate, or a model without rates, is refused ('missing_rate',
-- DETAIL '<model> <kind>').
CREATE OR REPLACE FUNCTION credit.stage_charge(p_model text, p_tokens jsonb, p_at timestamptz, p_rate_ids bigint[] DEFAULT NULL,
                                               OUT credits bigint, OUT rates jsonb)
LANGUAGE sql STABLE
AS $$
  SELECT c.credits, c.rates
    FROM credit.stage_charges(jsonb_build_array(jsonb_build_object('model', p_model, 'tokens', p_tokens)), p_at, p_rate_ids) c
$$;
