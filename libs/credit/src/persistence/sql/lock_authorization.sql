-- Takes an authorization's locks in the order every hold's writer takes them (DESIGN.md
-- "Reservations"): the person's row (when a person pays), the payer's (lock_payer: a pool's
-- engagement row), then the authorization's row; answers the locked row, or no row when there
-- is no such authorization. Capture, void and the expiry sweep start with it, so two of them on
-- one authorization run one after the other and the second sees what the first did.
CREATE OR REPLACE FUNCTION credit.lock_authorization(p_id uuid)
RETURNS SETOF credit.authorizations
LANGUAGE plpgsql
AS $$
DECLARE
  a credit.authorizations;
BEGIN
  SELECT * INTO a FROM credit.authorizations WHERE id = p_id;
  IF NOT FOUND THEN RETURN; END IF;
  IF a.person_id IS NOT NULL THEN
    PERFORM 1 FROM persons WHERE id = a.person_id FOR NO KEY UPDATE;
  END IF;
  PERFORM credit.lock_payer(a.payer);
  RETURN QUERY SELECT * FROM credit.authorizations WHERE id = p_id FOR UPDATE;
END
$$;
