-- A stage's worst-case prices (DESIGN.md "Reservations"): input tokens at the highest of the
-- model's input and cache rates (the provider may report any split of them), output tokens at
-- its output rate, as exact fractions. 'missing_rate' without an input or output rate.
-- rate_ids: every rate row of the model in force at p_at; a hold records them, and its stages are
-- priced at exactly these rows when it settles (a later rate change can't outrun the hold).
CREATE OR REPLACE FUNCTION credit.bound_rates(p_model text, p_at timestamptz,
                                              OUT in_num numeric, OUT in_den numeric, OUT out_num numeric, OUT out_den numeric,
                                              OUT rate_ids bigint[])
LANGUAGE plpgsql STABLE
AS $$
DECLARE
  r record;
  c_num numeric[] := '{}';
  c_den numeric[] := '{}';
  i integer;
BEGIN
  rate_ids := '{}';
  FOR r IN SELECT * FROM credit.model_rates(p_model, p_at) LOOP
    rate_ids := rate_ids || r.id;
    IF r.token_kind = 'output' THEN out_num := r.num; out_den := r.den;
    ELSIF r.token_kind = 'input' THEN in_num := r.num; in_den := r.den;
    ELSE c_num := c_num || r.num; c_den := c_den || r.den;
    END IF;
  END LOOP;
  IF out_num IS NULL THEN RAISE EXCEPTION 'missing_rate' USING DETAIL = p_model || ' output'; END IF;
  IF in_num IS NULL THEN RAISE EXCEPTION 'missing_rate' USING DETAIL = p_model || ' input'; END IF;
  FOR i IN 1 .. coalesce(array_length(c_num, 1), 0) LOOP
    IF c_num[i] * in_den > in_num * c_den[i] THEN
      in_num := c_num[i];
      in_den := c_den[i];
    END IF;
  END LOOP;
END
$$;
