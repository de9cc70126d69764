-- The proven upper bound of a stage's cost (DESIGN.md "Reservations"): p_input_tokens at the
-- worst-case input rate plus p_output_tokens at the output rate (rates from bound_rates), rounded
-- up once. Place sizes each stage of a turn with it; a one-stage request hold can size its request.
CREATE OR REPLACE FUNCTION credit.bound_credits(p_in_num numeric, p_in_den numeric, p_out_num numeric, p_out_den numeric,
                                                p_input_tokens numeric, p_output_tokens numeric)
RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
  SELECT credit.ceil_credits(p_input_tokens * p_in_num * p_out_den + p_output_tokens * p_out_num * p_in_den, p_in_den * p_out_den)
$$;
