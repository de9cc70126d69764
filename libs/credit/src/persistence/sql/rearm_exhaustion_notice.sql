-- A grant, adjustment or referral credit to a person (the trigger's WHEN clause) removes the
-- mark that their exhaustion of that asset was announced, so the next refusal is announced again.
CREATE OR REPLACE FUNCTION credit.rearm_exhaustion_notice()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  DELETE FROM credit.exhaustion_notices WHERE person_id = NEW.person_id AND asset = NEW.asset;
  RETURN NULL;
END
$$;
