-- Whether turn p_turn was charged: a flow of one of its stages exists (each stage's flow has the
-- key turn:<id>:<stage>). The reconciler asks this instead of reading credit.flows itself.
CREATE OR REPLACE FUNCTION credit.turn_charged(p_turn uuid)
RETURNS boolean
LANGUAGE plpgsql STABLE
AS $$
BEGIN
  RETURN EXISTS (
    SELECT 1 FROM credit.flows f
     WHERE f.idempotency_key IN ('turn:' || p_turn || ':classify', 'turn:' || p_turn || ':respond'));
END
$$;
