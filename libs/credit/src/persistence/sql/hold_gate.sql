-- The gate before any hold (DESIGN.md "Reservations"), for a turn's hold and a one-stage request
-- hold alike: locks the person's row (the lock every ledger write for a person takes, held to the
-- end of the transaction) and then the payer's (lock_payer: a team pool's engagement row), answers 'account_suspended' / 'account_deleted', expires the person's
-- own stale holds (their turn died), and answers 'turns_in_flight' at p_max_in_flight active
-- holds; else 'open'. 'person_not_found' is raised for an unknown person.
-- p_lock_payer false: the caller takes the payer's lock itself, later (place_hold locks a pool
-- just before it reads the pool's balance, so members' placements queue on it for as short as
-- possible); the gate then takes it only before expiring stale holds, whose releases write
-- balance rows — the lock order is person, payer, balance rows everywhere.
CREATE OR REPLACE FUNCTION credit.hold_gate(p_person uuid, p_payer text, p_at timestamptz, p_max_in_flight integer,
                                            p_lock_payer boolean DEFAULT true)
RETURNS text
LANGUAGE plpgsql
AS $$
DECLARE
  v_status text;
  v_stale uuid[];
  v_id uuid;
  v_in_flight integer;
BEGIN
  SELECT account_status INTO v_status FROM persons WHERE id = p_person FOR NO KEY UPDATE;
  IF NOT FOUND THEN RAISE EXCEPTION 'person_not_found'; END IF;
  IF v_status <> 'active' THEN RETURN 'account_' || v_status; END IF;
  -- (a person payer's lock is the person's row, taken above: lock_payer has nothing to do)
  IF p_lock_payer AND p_payer LIKE 'engagement:%' THEN PERFORM credit.lock_payer(p_payer); END IF;
  -- The person's active holds, read once: the live ones count, the stale ones are released here.
  -- An authorization's hold is neither: it is no turn in flight (another service holds credit for
  -- as long as authorization_max_seconds allows), and its expiry is the sweep's, which also marks
  -- the authorization expired and raises authorization.expired.
  SELECT count(*) FILTER (WHERE h.expires_at > p_at), array_agg(h.id) FILTER (WHERE h.expires_at <= p_at)
    INTO v_in_flight, v_stale
    FROM credit.holds h
   WHERE h.person_id = p_person AND h.status = 'active'
     AND NOT EXISTS (SELECT 1 FROM credit.authorizations a WHERE a.id = h.id);
  IF v_stale IS NOT NULL THEN
    IF NOT p_lock_payer AND p_payer LIKE 'engagement:%' THEN PERFORM credit.lock_payer(p_payer); END IF;
    FOREACH v_id IN ARRAY v_stale LOOP PERFORM credit.end_hold(v_id, 'expired', p_at); END LOOP;
  END IF;
  IF v_in_flight >= p_max_in_flight THEN RETURN 'turns_in_flight'; END IF;
  RETURN 'open';
END
$$;
