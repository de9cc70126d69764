-- The spend limits set for a hold's scopes (DESIGN.md "Spend limits and team pools"), one row per
-- limit as set, without what was used (spend_limits adds that):
--   a person's own credit (payer 'person:<person>'): staff's limit and the person's own, each
--     set per period (kind 'person');
--   a member within a pool (payer 'engagement:<engagement>'): the member's limit (kind 'member');
--   an API key (p_api_key): the key's limit (kind 'apiKey'), whoever pays.
-- Its own function so that a statement can first ask whether any limit applies at all, a small
-- query, and run spend_limits' larger one only when one does: most payers have none, and starting
-- spend_limits' query cost ~0.07 ms of CPU on every placement and settlement.
CREATE OR REPLACE FUNCTION credit.spend_limit_rules(p_person uuid, p_payer text, p_api_key uuid)
RETURNS TABLE (scope text, kind text, period text, amount bigint)
LANGUAGE sql
STABLE
AS $$
  SELECT 'person:' || p.id, 'person', l.period, l.amount
    FROM persons p
   CROSS JOIN LATERAL (VALUES (p.staff_limit_period, p.staff_limit_amount), (p.self_limit_period, p.self_limit_amount)) AS l (period, amount)
   WHERE p.id = p_person AND p_payer = 'person:' || p_person AND l.period IS NOT NULL
  UNION ALL
  SELECT 'member:' || m.engagement_id || ':' || m.person_id, 'member', m.limit_period, m.limit_amount
    FROM engagement_members m
   WHERE p_payer LIKE 'engagement:%' AND m.engagement_id = substr(p_payer, 12)::uuid AND m.person_id = p_person
     AND m.limit_period IS NOT NULL
  UNION ALL
  SELECT 'key:' || k.id, 'apiKey', k.limit_period, k.limit_amount
    FROM api_keys k WHERE k.id = p_api_key AND k.limit_period IS NOT NULL
$$;
