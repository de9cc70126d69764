-- Counts spend (DESIGN.md "Spend limits and team pools"): adds p_amount credits — negative to
-- subtract a refund — to the counters of every scope in p_scopes, for the UTC day, ISO week (from
-- Monday) and month containing p_counted_at (credit.spend_counters, one row per scope and period).
--
--   credit.count_spend(p_scopes text[], p_counted_at timestamptz, p_amount bigint) RETURNS void
--
--   p_scopes: credit.spend_scopes(person, payer, api key) of the charge — 'person:<id>' (a person's
--     own credit), 'member:<engagement>:<person>' (a member within a team pool), 'key:<apiKeyId>'.
--   p_counted_at: WHEN THE CHARGE COUNTS — the placement time of its hold (credit.holds.created_at),
--     not the time it settles. The period rule: a charge counts in the periods its hold was placed
--     in, so a turn held before midnight and settled after counts for the day (week, month) it was
--     held in, where the limit check already counted its hold. A refund is subtracted from the
--     periods of the charge it refunds (pass that charge's hold's created_at), so refunding an old
--     charge never frees headroom in the current period. credit.count_hold_spend does both from a
--     hold id.
--   p_amount: credits, any asset (limits are in credits of any asset); 0 writes nothing.
-- Callers hold the payer's row lock (the settle, capture and refund statements take it), so two
-- charges of one scope never race on a counter row between check and count.
CREATE OR REPLACE FUNCTION credit.count_spend(p_scopes text[], p_counted_at timestamptz, p_amount bigint)
RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
  v_at timestamp := p_counted_at AT TIME ZONE 'UTC';
BEGIN
  IF p_amount = 0 OR p_scopes IS NULL OR cardinality(p_scopes) = 0 THEN RETURN; END IF;
  INSERT INTO credit.spend_counters AS c (scope, period, period_start, amount)
  SELECT s.scope, p.period, date_trunc(p.period, v_at)::date, p_amount
    FROM unnest(p_scopes) AS s (scope)
   CROSS JOIN (VALUES ('day'), ('week'), ('month')) AS p (period)
  ON CONFLICT (scope, period, period_start) DO UPDATE SET amount = c.amount + excluded.amount;
END
$$;
