-- The trigger balances_watch (migration VerificationWatch) calls this for a balance row written by
-- anything but credit.apply_flow (its WHEN: trigger depth 0): the pair goes on the incremental
-- verify's watch list for good (verification_watch_keep refuses to take it off). A row moved to
-- another key puts both pairs there.
CREATE OR REPLACE FUNCTION credit.watch_balance_write()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    INSERT INTO credit.verification_watch (party, asset, outside_flow) VALUES (OLD.party, OLD.asset, true)
      ON CONFLICT (party, asset) DO UPDATE SET outside_flow = true WHERE NOT verification_watch.outside_flow;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    INSERT INTO credit.verification_watch (party, asset, outside_flow) VALUES (NEW.party, NEW.asset, true)
      ON CONFLICT (party, asset) DO UPDATE SET outside_flow = true WHERE NOT verification_watch.outside_flow;
  END IF;
  RETURN NULL;
END
$$;
