-- The spend limits that apply to a hold (DESIGN.md "Spend limits and team pools"), one row per
-- limited (scope, period), with what the scope used in the period containing p_at (the limits as
-- set: spend_limit_rules):
--   a person's own credit (payer 'person:<person>'): staff's limit and the person's own; per
--     period the lower applies (kind 'person');
--   a member within a pool (payer 'engagement:<engagement>'): the member's limit (kind 'member');
--   an API key (p_api_key): the key's limit (kind 'apiKey'), whoever pays.
-- used = spent (credit.spend_counters: settled charges minus refunds, counted in the period their
-- hold was placed) + held by the scope's active holds placed in this period. A hold placed in an
-- earlier period counts there (the period rule of count_spend), never in this one.
-- Callers hold the person's and the payer's row locks (hold_gate), so the answer holds until commit.
CREATE OR REPLACE FUNCTION credit.spend_limits(p_person uuid, p_payer text, p_api_key uuid, p_at timestamptz)
RETURNS TABLE (scope text, kind text, period text, period_start date, period_end timestamptz, limit_amount bigint, spent bigint, held bigint)
LANGUAGE sql
STABLE
AS $$
  WITH lim AS (
    -- per scope and period the lower limit applies (a person's: staff's and their own)
    SELECT r.scope, r.kind, r.period, min(r.amount) AS amount
      FROM credit.spend_limit_rules(p_person, p_payer, p_api_key) r
     GROUP BY r.scope, r.kind, r.period
  ), bounded AS (
    SELECT lim.*, date_trunc(lim.period, p_at AT TIME ZONE 'UTC') AS start_ts FROM lim
  )
  SELECT b.scope, b.kind, b.period, b.start_ts::date,
         (b.start_ts + CASE b.period WHEN 'day' THEN interval '1 day' WHEN 'week' THEN interval '7 days' ELSE interval '1 month' END) AT TIME ZONE 'UTC',
         b.amount,
         coalesce((SELECT c.amount FROM credit.spend_counters c
                    WHERE c.scope = b.scope AND c.period = b.period AND c.period_start = b.start_ts::date), 0)::bigint,
         coalesce(CASE b.kind  -- each kind's active holds through its own index
           WHEN 'person' THEN (SELECT sum(h.amount) FROM credit.holds h
                                WHERE h.payer = p_payer AND h.status = 'active' AND h.created_at >= b.start_ts AT TIME ZONE 'UTC')
           WHEN 'member' THEN (SELECT sum(h.amount) FROM credit.holds h
                                WHERE h.person_id = p_person AND h.status = 'active' AND h.payer = p_payer
                                  AND h.created_at >= b.start_ts AT TIME ZONE 'UTC')
           -- a key's holds are its person's (place_key_request_hold): found among the person's
           -- active holds, which turns_in_flight bounds, rather than through an index of their own
           -- that every request's hold would write
           ELSE (SELECT sum(h.amount) FROM credit.holds h
                  WHERE h.person_id = p_person AND h.api_key_id = p_api_key AND h.status = 'active'
                    AND h.created_at >= b.start_ts AT TIME ZONE 'UTC') END, 0)::bigint
    FROM bounded b
$$;
