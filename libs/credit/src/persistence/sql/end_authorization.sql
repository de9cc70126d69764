-- Ends an authorization without a charge (DESIGN.md "Authorizations and refunds"): 'voided' by
-- its service, or 'expired' by the sweep once its expiry passed. Its hold is ended by end_hold
-- (released or expired: the whole amount back to the payer, a deleted person's zeroed again),
-- unless another hold sweep already expired it. A void after the expiry is refused: the sweep
-- ends it.
-- Outcomes: voided | expired | authorization_not_found | authorization_not_active (already
-- captured, voided or expired; or, for the sweep, not yet due).
CREATE OR REPLACE FUNCTION credit.end_authorization(p_id uuid, p_status text, p_at timestamptz)
RETURNS text
LANGUAGE plpgsql
AS $$
DECLARE
  a credit.authorizations;
BEGIN
  IF p_status NOT IN ('voided', 'expired') THEN RAISE EXCEPTION 'invalid authorization end: %', p_status; END IF;
  SELECT * INTO a FROM credit.lock_authorization(p_id);
  IF a.id IS NULL THEN RETURN 'authorization_not_found'; END IF;
  IF a.status <> 'active' OR (a.expires_at <= p_at) <> (p_status = 'expired') THEN
    RETURN 'authorization_not_active';
  END IF;
  PERFORM credit.end_hold(p_id, CASE p_status WHEN 'voided' THEN 'released' ELSE 'expired' END, p_at);
  UPDATE credit.authorizations x SET status = p_status, ended_at = p_at WHERE x.id = p_id;
  RETURN p_status;
END
$$;
